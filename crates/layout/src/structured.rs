//! The structured offline layout method (crates/layout/README.md, "Structured"): read a
//! sentence into interpretable attributes — distance zone and number, arrangement, both
//! postures, level — and compose the layout from them ([`crate::scene`]). It exists because
//! kNN (paper appendix §4) can only average its neighbours' positions: it cannot produce a
//! distance no neighbour has, and it mixes arrangements.
//!
//! Each attribute is a linear classifier ([`crate::classify`]) over the sentence's
//! all-MiniLM-L6-v2 embedding concatenated with lexical cue features ([`crate::cues`]); the
//! distance is one logistic regression per log-spaced distance bin ("is this distance inside
//! the sentence's plausible range?") and the answer is the likeliest bin; the zone is the
//! distance's. An explicit distance in the text
//! overrides the classifier. Without the sentence encoder a second set of heads trained on the cue
//! features alone answers. Weights ship in `data/structured.json`, trained from the `train`
//! split of `data/scenes.json` by [`train`] (`cargo run -p duologue-layout --example
//! train_structured` or `duologue layout --train`).

use crate::classify::{train_multilabel, train_softmax, Fit, Head, Standardiser};
use crate::cues;
use crate::embed::TextEmbedder;
use crate::error::{LayoutError, Result};
use crate::facing::Facing;
use crate::library::Zone;
use crate::scene::{Arrangement, Level, Phase, Posture, Scene};
use crate::sentences::{Labelled, SentenceSet, SentenceSplit};
use crate::Layout;
use serde::{Deserialize, Serialize};

/// The weights shipped with the crate.
const BUILTIN: &str = include_str!("../data/structured.json");

/// The encoder the shipped weights expect (the `TextEmbedder::name` of `duologue-text`).
pub const ENCODER: &str = "minilm";

/// Training settings used for the shipped weights: the penalty chosen by 5-fold
/// cross-validation on the training split (README), and enough steps for the accelerated
/// descent to settle.
pub const FIT: Fit = Fit { lambda: 0.03, steps: 600 };

/// How much the standardised embedding counts against the cues: with a few hundred training
/// sentences, 384 embedding dimensions at full weight drown the two dozen cue features (chosen
/// by 5-fold cross-validation on the training split, README).
pub const EMBEDDING_WEIGHT: f64 = 0.25;

/// Distance bins: log-spaced centres from [`BIN_MIN`] to [`BIN_MAX`] metres (48 rather than 28:
/// finer steps raised distance-in-range in 5-fold cross-validation on the training split, README).
pub const N_BINS: usize = 48;
/// Centre of the nearest bin (metres).
pub const BIN_MIN: f32 = 0.1;
/// Centre of the farthest bin (metres): the 16 m room of [`crate::Bounds`].
pub const BIN_MAX: f32 = 16.0;

/// The heads of one feature set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heads {
    /// Length of the embedding part of the features (0 for cues only).
    pub embedding_dim: usize,
    /// Feature standardisation.
    pub standardiser: Standardiser,
    /// The distance over [`N_BINS`] log-spaced bins (class names are the bin centres): per bin,
    /// the probability that it lies inside the sentence's plausible range.
    pub distance: Head,
    /// Arrangement.
    pub arrangement: Head,
    /// Posture of the taller head of the two.
    pub upper: Head,
    /// Posture of the lower head of the two.
    pub lower: Head,
    /// Level.
    pub level: Head,
}

/// Everything the structured method has learned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Format version.
    pub version: u32,
    /// Name of the sentence encoder the `with_encoder` heads expect.
    pub encoder: String,
    /// Names of the cue features, in order (must match [`cues::feature_names`]).
    pub cues: Vec<String>,
    /// Training settings.
    pub fit: Fit,
    /// [`EMBEDDING_WEIGHT`] at training time.
    pub embedding_weight: f64,
    /// Training sentences used.
    pub trained_on: usize,
    /// Heads over the embedding and the cues.
    pub with_encoder: Heads,
    /// Heads over the cues alone, for when the encoder is not installed.
    pub cues_only: Heads,
}

/// Rounds weights to 4 significant digits, so the file stays small and diffs stay readable;
/// the test that retrains compares predictions, which this does not change.
fn round(v: &mut [f32]) {
    for x in v {
        // Below 1e-7 a weight changes no score that matters; rounding it to 0 also keeps
        // the scale factor finite.
        if x.abs() < 1e-7 {
            *x = 0.0;
        } else {
            let mag = 10f64.powi(3 - (x.abs() as f64).log10().floor() as i32);
            *x = ((*x as f64 * mag).round() / mag) as f32;
        }
    }
}

impl Heads {
    fn heads_mut(&mut self) -> [&mut Head; 5] {
        [&mut self.distance, &mut self.arrangement, &mut self.upper, &mut self.lower, &mut self.level]
    }
}

impl Weights {
    /// The shipped weights.
    pub fn builtin() -> Result<Weights> {
        Self::from_json("builtin structured.json", BUILTIN)
    }

    /// Parses weights and checks they fit this build's cue features.
    pub fn from_json(name: &str, json: &str) -> Result<Weights> {
        let err = |msg: String| LayoutError::Library { path: name.to_string(), msg };
        let w: Weights = serde_json::from_str(json).map_err(|e| err(e.to_string()))?;
        if w.cues != cue_names() {
            return Err(err("cue features differ from this build's; retrain (README, Structured)".into()));
        }
        Ok(w)
    }

    /// Compact JSON, weights rounded (see [`round`]).
    pub fn to_json(&self) -> Result<String> {
        let mut w = self.clone();
        for h in [&mut w.with_encoder, &mut w.cues_only] {
            round(&mut h.standardiser.mean);
            round(&mut h.standardiser.std);
            for head in h.heads_mut() {
                round(&mut head.w);
            }
        }
        serde_json::to_string(&w)
            .map_err(|e| LayoutError::Library { path: "weights".into(), msg: e.to_string() })
    }
}

/// One attribute as read, for `--details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribute {
    /// `zone`, `distance`, `arrangement`, `posture`, `level`.
    pub name: &'static str,
    /// The value, e.g. `social`, `2.00 m`, `side-by-side`, `A sitting, B standing`.
    pub value: String,
    /// Probability the classifier gives the value (1 for a stated distance).
    pub confidence: f32,
    /// Where it came from: the classifier, the regression, or the words of the text.
    pub source: String,
    /// The runner-up values with their probabilities.
    pub alternatives: Vec<(String, f32)>,
}

/// A sentence read into a scene, with the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    /// The scene.
    pub scene: Scene,
    /// Attributes with confidences and sources.
    pub attributes: Vec<Attribute>,
    /// Cue groups that matched, with the phrase.
    pub cues: Vec<(&'static str, &'static str)>,
    /// The scene anchor the text names, if any ([`crate::anchors`]): a feature, not an answer.
    pub anchor: Option<crate::anchors::Anchor>,
    /// `minilm+cues` or `cues`.
    pub features: String,
}

impl Reading {
    /// The composed layout.
    pub fn layout(&self) -> Layout {
        self.scene.layout()
    }

    /// Orientations that follow the arrangement ([`crate::scene::facing_for`]).
    pub fn facing(&self) -> [Facing; 2] {
        self.scene.facing()
    }

    /// The reading as JSON for `--details`.
    pub fn details(&self) -> serde_json::Value {
        serde_json::json!({
            "features": self.features,
            "scene": self.scene,
            "attributes": self.attributes,
            "cues": self.cues.iter().map(|(g, p)| format!("{g}: {p}")).collect::<Vec<_>>(),
            "anchor": self.anchor.map(|a| serde_json::json!({
                "phrase": a.phrase,
                "range_m": [a.lo, a.hi],
                "arrangement": a.arrangement,
            })),
        })
    }
}

/// Features of one sentence: the embedding (if any) then the cue features.
fn features(text: &str, embedding: Option<&[f32]>) -> Vec<f32> {
    let mut f = embedding.map(<[f32]>::to_vec).unwrap_or_default();
    f.extend(cues::features(text));
    f.extend(crate::anchors::features(text));
    f
}

/// Names of the non-embedding features: the cues', then the scene anchor's.
fn cue_names() -> Vec<&'static str> {
    cues::feature_names().into_iter().chain(crate::anchors::feature_names()).collect()
}

/// Standardised features with the embedding part scaled by `weight`.
fn inputs(standardiser: &Standardiser, row: &[f32], embedding_dim: usize, weight: f64) -> Vec<f64> {
    let mut x = standardiser.apply(row);
    x.iter_mut().take(embedding_dim).for_each(|v| *v *= weight);
    x
}

/// Class probabilities sorted best first, as (name, p).
fn ranked(head: &Head, x: &[f64]) -> Vec<(String, f32)> {
    let mut v: Vec<(String, f32)> =
        head.classes.iter().cloned().zip(head.probabilities(x).into_iter().map(|p| p as f32)).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

fn attribute(name: &'static str, ranked: &[(String, f32)], source: &str) -> Attribute {
    let (value, confidence) = ranked.first().cloned().unwrap_or_default();
    Attribute {
        name,
        value,
        confidence,
        source: source.into(),
        alternatives: ranked.iter().skip(1).take(2).cloned().collect(),
    }
}

/// The bin centres (metres).
pub fn bin_centres() -> Vec<f32> {
    let r = (BIN_MAX / BIN_MIN).ln() / (N_BINS - 1) as f32;
    (0..N_BINS).map(|i| BIN_MIN * (r * i as f32).exp()).collect()
}

/// The training target for a range: 1 for every bin centre inside it, 0 outside (the nearest
/// bin alone when the range is narrower than a bin, as stated distances are).
fn bin_target(range: [f32; 2], centres: &[f32]) -> Vec<f64> {
    let inside: Vec<bool> = centres.iter().map(|&c| c >= range[0] && c <= range[1]).collect();
    let count = inside.iter().filter(|&&b| b).count();
    if count == 0 {
        let mid = ((range[0] + range[1]) / 2.0).ln();
        let near = centres
            .iter()
            .enumerate()
            .min_by(|a, b| (a.1.ln() - mid).abs().total_cmp(&(b.1.ln() - mid).abs()))
            .map_or(0, |(i, _)| i);
        return (0..centres.len()).map(|i| f64::from(u8::from(i == near))).collect();
    }
    inside.iter().map(|&b| f64::from(u8::from(b))).collect()
}

/// The distance most likely to fall inside the sentence's range: the bin whose own
/// probability of lying inside it is largest (the distance head is one logistic regression per
/// bin, [`train_multilabel`]), with that probability.
fn best_bin(bins: &[(f32, f32)]) -> (f32, f32) {
    bins.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or((1.0, 0.0))
}

/// Decides who is A when the two postures differ: with a raised level B is the raised person
/// and takes the taller posture (a speaker on a stage, an audience seated below); otherwise A
/// is the person mentioned first, found by where each posture's words appear; with one
/// posture named, its place in the sentence (first or second half) decides; with none, the
/// taller is A (the adult, who sentences tend to name first).
fn order(text: &str, upper: Posture, lower: Posture, level: Level) -> ([Posture; 2], String) {
    if upper == lower {
        return ([upper, lower], "both the same".into());
    }
    if level != Level::Ground {
        return ([lower, upper], format!("B is raised ({level}) and takes the taller posture"));
    }
    let half = cues::words(text).len() / 2;
    match (cues::posture_mention(text, upper), cues::posture_mention(text, lower)) {
        (Some((i, p)), Some((j, q))) if i <= j => ([upper, lower], format!("{p:?} before {q:?}")),
        (Some((_, p)), Some((_, q))) => ([lower, upper], format!("{q:?} before {p:?}")),
        (Some((i, p)), None) if i > half => ([lower, upper], format!("{p:?} late in the sentence")),
        (None, Some((j, q))) if j <= half => ([lower, upper], format!("{q:?} early in the sentence")),
        (Some((_, p)), None) => ([upper, lower], format!("{p:?} early in the sentence")),
        (None, Some((_, q))) => ([upper, lower], format!("{q:?} late in the sentence")),
        (None, None) => ([upper, lower], "no posture words: the taller is A".into()),
    }
}

/// The most probable (upper, lower) pair whose upper head is not below the lower one.
fn posture_pair(upper: &[(String, f32)], lower: &[(String, f32)]) -> (Posture, Posture, f32) {
    let mut best = (Posture::Standing, Posture::Standing, -1.0f32);
    for (u, pu) in upper {
        for (l, pl) in lower {
            let (Some(u), Some(l)) = (Posture::parse(u), Posture::parse(l)) else { continue };
            if u.height() >= l.height() && pu * pl > best.2 {
                best = (u, l, pu * pl);
            }
        }
    }
    best
}

impl Heads {
    /// Reads `text` (its embedding given when these heads use one).
    pub fn read(&self, text: &str, embedding: Option<&[f32]>, weight: f64, label: &str) -> Result<Reading> {
        let got = embedding.map_or(0, <[f32]>::len);
        if got != self.embedding_dim {
            return Err(LayoutError::Embedder {
                name: label.into(),
                msg: format!("embedding has {got} values, the weights expect {}", self.embedding_dim),
            });
        }
        let x = inputs(&self.standardiser, &features(text, embedding), self.embedding_dim, weight);
        let arrangement = ranked(&self.arrangement, &x);
        let levels = ranked(&self.level, &x);
        let (upper, lower) = (ranked(&self.upper, &x), ranked(&self.lower, &x));
        let top = |r: &[(String, f32)]| r.first().map(|c| c.0.clone()).unwrap_or_default();
        let unknown = |what: &str, v: String| LayoutError::Library {
            path: "structured weights".into(),
            msg: format!("unknown {what} class {v:?}"),
        };
        let arr = Arrangement::parse(&top(&arrangement))
            .ok_or_else(|| unknown("arrangement", top(&arrangement)))?;
        let level = Level::parse(&top(&levels)).ok_or_else(|| unknown("level", top(&levels)))?;
        let (u, l, p_pair) = posture_pair(&upper, &lower);
        let (posture, why) = order(text, u, l, level);

        let bins: Vec<(f32, f32)> = self
            .distance
            .classes
            .iter()
            .zip(self.distance.sigmoids(&x))
            .map(|(c, p)| (c.parse::<f32>().unwrap_or(1.0), p as f32))
            .collect();
        let (distance, dist_attr) = match cues::explicit_distance(text) {
            Some(e) => {
                let kind = if e.exact { "stated in the text" } else { "a phrase of the text" };
                let attr = Attribute {
                    name: "distance",
                    value: format!("{:.2} m ({})", e.metres, Phase::of_distance(e.metres)),
                    confidence: 1.0,
                    source: format!("{kind}: {:?}", e.phrase),
                    alternatives: Vec::new(),
                };
                (e.metres, attr)
            }
            None => {
                let (d, p) = best_bin(&bins);
                let mut others: Vec<(f32, f32)> =
                    bins.iter().copied().filter(|b| (b.0 / d).ln().abs() > 0.3).collect();
                others.sort_by(|a, b| b.1.total_cmp(&a.1));
                let attr = Attribute {
                    name: "distance",
                    value: format!("{d:.2} m ({})", Phase::of_distance(d)),
                    confidence: p,
                    source: "classifier over distance bins (probability that this bin is in range)".into(),
                    alternatives: others.iter().take(2).map(|(c, p)| (format!("{c:.2} m"), *p)).collect(),
                };
                (d, attr)
            }
        };
        let zone = Zone::of_distance(distance);
        let (lo, hi) = zone.bounds();
        let zone_p = if dist_attr.confidence >= 1.0 {
            1.0
        } else {
            // The likeliest bin of the zone: each bin's probability is its own (not a share).
            bins.iter().filter(|b| b.0 >= lo && b.0 < hi).map(|b| b.1).fold(0.0, f32::max)
        };
        let mut level_attr = attribute("level", &levels, "classifier");
        if let Some(p) = cues::level_mention(text, level) {
            level_attr.source = format!("classifier (cue {p:?})");
        }
        let posture_source = format!(
            "classifier: taller {u} ({:.2}), lower {l} ({:.2}); who is A: {why}",
            upper.iter().find(|c| c.0 == u.name()).map_or(0.0, |c| c.1),
            lower.iter().find(|c| c.0 == l.name()).map_or(0.0, |c| c.1),
        );
        let attributes = vec![
            Attribute {
                name: "zone",
                value: zone.name().into(),
                confidence: zone_p,
                source: format!("Hall's zone of the distance ({lo}-{hi} m)"),
                alternatives: Vec::new(),
            },
            dist_attr,
            attribute("arrangement", &arrangement, "classifier"),
            Attribute {
                name: "posture",
                value: format!("A {}, B {}", posture[0], posture[1]),
                confidence: p_pair,
                source: posture_source,
                alternatives: Vec::new(),
            },
            level_attr,
        ];
        Ok(Reading {
            scene: Scene { distance, arrangement: arr, posture, level },
            attributes,
            cues: cues::matched(text),
            anchor: crate::anchors::find(text).copied(),
            features: label.into(),
        })
    }
}

impl Weights {
    /// Reads `text`: with `embedder` when it is the encoder these weights were trained with,
    /// else from the cues alone.
    pub fn read(&self, text: &str, embedder: Option<&dyn TextEmbedder>) -> Result<Reading> {
        match embedder.filter(|e| e.name() == self.encoder) {
            Some(e) => {
                let v = e.embed(&[text])?.into_iter().next().unwrap_or_default();
                self.with_encoder.read(
                    text,
                    Some(&v),
                    self.embedding_weight,
                    &format!("{}+cues", self.encoder),
                )
            }
            None => self.cues_only.read(text, None, 1.0, "cues"),
        }
    }
}

/// Class index of `name` in `classes`.
fn index(classes: &[&str], name: &str) -> usize {
    classes.iter().position(|c| *c == name).unwrap_or(0)
}

/// The taller and the lower of a labelled pair of postures.
pub fn upper_lower(p: [Posture; 2]) -> (Posture, Posture) {
    if p[0].height() >= p[1].height() {
        (p[0], p[1])
    } else {
        (p[1], p[0])
    }
}

/// Trains one set of heads on `rows` (features) for `labelled`.
fn fit_heads(rows: &[Vec<f32>], labelled: &[&Labelled], embedding_dim: usize, fit: Fit) -> Heads {
    let standardiser = Standardiser::fit(rows);
    let x: Vec<Vec<f64>> =
        rows.iter().map(|r| inputs(&standardiser, r, embedding_dim, EMBEDDING_WEIGHT)).collect();
    let arrs: Vec<&str> = Arrangement::ALL.iter().map(|a| a.name()).collect();
    let posts: Vec<&str> = Posture::ALL.iter().map(|p| p.name()).collect();
    let levels: Vec<&str> = Level::ALL.iter().map(|l| l.name()).collect();
    let labels = |f: &dyn Fn(&Labelled) -> usize| labelled.iter().map(|s| f(s)).collect::<Vec<usize>>();
    let arrangement = train_softmax(&x, &labels(&|s| index(&arrs, s.arrangement.name())), &arrs, fit);
    let upper = train_softmax(&x, &labels(&|s| index(&posts, upper_lower(s.posture).0.name())), &posts, fit);
    let lower = train_softmax(&x, &labels(&|s| index(&posts, upper_lower(s.posture).1.name())), &posts, fit);
    let level = train_softmax(&x, &labels(&|s| index(&levels, s.level.name())), &levels, fit);
    let centres = bin_centres();
    let names: Vec<String> = centres.iter().map(|c| format!("{c:.3}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let targets: Vec<Vec<f64>> = labelled.iter().map(|s| bin_target(s.range, &centres)).collect();
    let distance = train_multilabel(&x, &targets, &names, fit);
    Heads { embedding_dim, standardiser, distance, arrangement, upper, lower, level }
}

/// Trains both sets of heads on `sentences` (normally the `train` split) with `embedder`'s
/// embeddings (it must be the encoder the weights will be used with).
pub fn train_on(sentences: &[&Labelled], embedder: &dyn TextEmbedder, fit: Fit) -> Result<Weights> {
    let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
    let emb = embedder.embed(&texts)?;
    let dim = emb.first().map_or(0, Vec::len);
    let with: Vec<Vec<f32>> = texts.iter().zip(&emb).map(|(t, e)| features(t, Some(e))).collect();
    let without: Vec<Vec<f32>> = texts.iter().map(|t| features(t, None)).collect();
    Ok(Weights {
        version: 2,
        encoder: embedder.name(),
        cues: cue_names().into_iter().map(String::from).collect(),
        fit,
        embedding_weight: EMBEDDING_WEIGHT,
        trained_on: sentences.len(),
        with_encoder: fit_heads(&with, sentences, dim, fit),
        cues_only: fit_heads(&without, sentences, 0, fit),
    })
}

/// Trains the shipped configuration: the `train` split of `set` with [`FIT`].
pub fn train(set: &SentenceSet, embedder: &dyn TextEmbedder) -> Result<Weights> {
    train_on(&set.split(SentenceSplit::Train), embedder, FIT)
}
