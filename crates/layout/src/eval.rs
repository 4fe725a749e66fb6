//! Scoring layout methods (paper appendix §4). tMSE: the mean squared distance between
//! predicted and ground-truth head translations, averaged over both people and all held-out
//! descriptions, in m²: `tMSE = 1/(2N) Σ_i (|a_i − â_i|² + |b_i − b̂_i|²)`. The paper reports
//! 0.72 (few-shot), 1.84 (kNN) and 2.90 (zero-shot) on 1024 annotated videos. We score on two
//! sets: the library's `heldout` split (hand-placed positions, tMSE only) and the `test` split
//! of the labelled sentences ([`crate::sentences`]), where the ground truth is the labelled
//! scene composed by the same rules as the structured method, and we also count how often the
//! horizontal distance falls in the sentence's plausible range and the arrangement is right.

use crate::embed::TextEmbedder;
use crate::error::Result;
use crate::knn::{Knn, K};
use crate::library::{Entry, Library, Split};
use crate::scene::{geometry_of, horizontal_distance, Arrangement};
use crate::sentences::Labelled;
use crate::sentences::{SentenceSet, SentenceSplit};
use crate::LlmClient;
use crate::{Layout, Layouter, Method};
use std::rc::Rc;

/// Squared distance between two points.
fn sq(p: [f32; 3], q: [f32; 3]) -> f64 {
    (0..3).map(|i| ((p[i] - q[i]) as f64).powi(2)).sum()
}

/// tMSE of paired predictions and ground truths (0 for empty input).
pub fn tmse(pairs: &[(Layout, Layout)]) -> f64 {
    if pairs.is_empty() {
        return 0.0;
    }
    pairs.iter().map(|(p, g)| (sq(p.a, g.a) + sq(p.b, g.b)) / 2.0).sum::<f64>() / pairs.len() as f64
}

/// One row of the evaluation table.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Method asked for (`fewshot`, `zeroshot`, `knn`, or `constant` for a reference row).
    pub method: String,
    /// What produced the answers: the embedder for kNN, the model for LLM methods.
    pub by: String,
    /// Descriptions evaluated.
    pub n: usize,
    /// tMSE over all of them (m²).
    pub tmse: f64,
    /// How many answers came from the kNN fallback instead of the method asked for.
    pub fallbacks: usize,
}

/// Runs `method` on every held-out entry and scores it.
pub fn evaluate(layouter: &Layouter, method: Method, heldout: &[&Entry], by: &str) -> Result<Row> {
    let mut pairs = Vec::with_capacity(heldout.len());
    let mut fallbacks = 0;
    for e in heldout {
        let o = layouter.layout(&e.text, method)?;
        if o.used != method {
            fallbacks += 1;
        }
        pairs.push((o.layout, e.layout()));
    }
    Ok(Row {
        method: method.name().to_string(),
        by: by.to_string(),
        n: pairs.len(),
        tmse: tmse(&pairs),
        fallbacks,
    })
}

/// A reference row: the same `layout` for every description (e.g. the paper's face-to-face
/// default), to show what tMSE a method must beat.
pub fn constant(layout: Layout, heldout: &[&Entry], by: &str) -> Row {
    let pairs: Vec<(Layout, Layout)> = heldout.iter().map(|e| (layout, e.layout())).collect();
    Row { method: "constant".into(), by: by.to_string(), n: pairs.len(), tmse: tmse(&pairs), fallbacks: 0 }
}

/// The rows as a plain-text table.
pub fn table(rows: &[Row]) -> String {
    let mut s = format!("{:<10} {:<30} {:>4} {:>10} {:>9}\n", "method", "by", "n", "tMSE (m²)", "fallback");
    for r in rows {
        s.push_str(&format!(
            "{:<10} {:<30} {:>4} {:>10.4} {:>9}\n",
            r.method, r.by, r.n, r.tmse, r.fallbacks
        ));
    }
    s
}

/// One row of the sentence-set evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceRow {
    /// Method (`structured`, `knn`, `fewshot`, `zeroshot`, `constant`).
    pub method: String,
    /// What produced the answers: features, embedder and pool, or the model.
    pub by: String,
    /// Sentences evaluated.
    pub n: usize,
    /// tMSE against the composed labelled scenes (m²).
    pub tmse: f64,
    /// Share whose horizontal distance lies in the labelled range.
    pub in_range: f64,
    /// Share whose arrangement label is right (only methods that name one).
    pub arrangement: Option<f64>,
    /// Share whose geometry family (along the depth, across it, diagonal) is right.
    pub geometry: f64,
    /// Share with the distance in range and the arrangement right (the label where the method
    /// names one, the geometry otherwise).
    pub both: f64,
    /// Answers from a fallback instead of the method asked for.
    pub fallbacks: usize,
}

/// One method's answer for a sentence: the layout, the arrangement it names (if it names
/// one) and whether it came from a fallback.
pub type Answer = (Layout, Option<Arrangement>, bool);

/// Scores `predict` on the `test` sentences.
pub fn score_sentences(
    method: &str,
    by: &str,
    test: &[&Labelled],
    mut predict: impl FnMut(&str) -> Result<Answer>,
) -> Result<SentenceRow> {
    let (mut pairs, mut range, mut label, mut geom, mut both, mut fallbacks) = (Vec::new(), 0, 0, 0, 0, 0);
    let mut named = true;
    for s in test {
        let (l, arr, fell) = predict(&s.text)?;
        fallbacks += usize::from(fell);
        let in_range = s.in_range(horizontal_distance(&l));
        let geom_ok = geometry_of(&l) == s.arrangement.geometry();
        named &= arr.is_some();
        let arr_ok = arr.map_or(geom_ok, |a| a == s.arrangement);
        range += usize::from(in_range);
        label += usize::from(arr.is_some() && arr_ok);
        geom += usize::from(geom_ok);
        both += usize::from(in_range && arr_ok);
        pairs.push((l, s.scene().layout()));
    }
    let share = |k: usize| k as f64 / test.len().max(1) as f64;
    Ok(SentenceRow {
        method: method.into(),
        by: by.into(),
        n: test.len(),
        tmse: tmse(&pairs),
        in_range: share(range),
        arrangement: named.then(|| share(label)),
        geometry: share(geom),
        both: share(both),
        fallbacks,
    })
}

/// Scores `layouter`'s `method` on the `test` sentences.
pub fn evaluate_sentences(
    layouter: &Layouter,
    method: Method,
    test: &[&Labelled],
    by: &str,
) -> Result<SentenceRow> {
    score_sentences(method.name(), by, test, |t| {
        let o = layouter.layout(t, method)?;
        let arr = o.reading.as_ref().map(|r| r.scene.arrangement);
        Ok((o.layout, arr, o.used != method))
    })
}

/// The labelled sentences as library entries with their composed layouts, so that kNN can
/// retrieve from the same training sentences the structured method learns from.
pub fn as_entries(sentences: &[&Labelled]) -> Vec<Entry> {
    sentences
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let l = s.scene().layout();
            Entry {
                id: format!("sentence-{i}"),
                text: s.text.clone(),
                a: l.a,
                b: l.b,
                category: s.zone(),
                tags: vec![s.arrangement.name().into()],
                split: Split::Pool,
                preset: None,
            }
        })
        .collect()
}

/// The sentence rows as a plain-text table (shares in per cent).
pub fn sentence_table(rows: &[SentenceRow]) -> String {
    let mut s = format!(
        "{:<10} {:<34} {:>4} {:>9} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
        "method", "by", "n", "tMSE(m²)", "dist-ok", "arr-lbl", "arr-geo", "both", "fallback"
    );
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    for r in rows {
        s.push_str(&format!(
            "{:<10} {:<34} {:>4} {:>9.4} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
            r.method,
            r.by,
            r.n,
            r.tmse,
            pct(r.in_range),
            r.arrangement.map_or("-".into(), pct),
            pct(r.geometry),
            pct(r.both),
            r.fallbacks
        ));
    }
    s
}

/// What `duologue layout --eval` compares.
pub struct Setup {
    /// The layout library (kNN pool, few-shot examples, held-out set).
    pub library: Library,
    /// The labelled sentences (train: structured weights and a second kNN pool; test: scored).
    pub sentences: SentenceSet,
    /// The embedders available (TF-IDF always; all-MiniLM-L6-v2 when installed).
    pub embedders: Vec<Rc<dyn TextEmbedder>>,
    /// The LLM, when an endpoint is configured.
    pub llm: Option<LlmClient>,
    /// Seed for the few-shot examples.
    pub seed: u64,
}

/// Both evaluation tables.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// On the `test` sentences.
    pub sentences: Vec<SentenceRow>,
    /// On the library's `heldout` descriptions (tMSE only).
    pub library: Vec<Row>,
}

impl Report {
    /// Both tables with their headings.
    pub fn render(&self) -> String {
        let n_lib = self.library.first().map_or(0, |r| r.n);
        format!(
            "test sentences ({} labelled, worded apart from the training ones); ground truth: the labelled scene \
             composed by the README's rules; dist-ok: horizontal distance in the labelled range; arr-lbl: \
             arrangement named right; arr-geo: geometry family right; both: dist-ok and arrangement right\n{}\n\
             library held-out descriptions ({n_lib}, hand-placed positions)\n{}",
            self.sentences.first().map_or(0, |r| r.n),
            sentence_table(&self.sentences),
            table(&self.library)
        )
    }
}

/// Runs every available method on both sets.
pub fn run(setup: Setup) -> Result<Report> {
    let test = setup.sentences.split(SentenceSplit::Test);
    let train = setup.sentences.split(SentenceSplit::Train);
    let heldout = setup.library.heldout();
    let f2f = Layout::face_to_face();
    let mut sent =
        vec![score_sentences("constant", "face-to-face 1 m (default)", &test, |_| Ok((f2f, None, false)))?];
    let mut lib = vec![constant(f2f, &heldout, "face-to-face 1 m (default)")];
    let mut structured_rows = Vec::new();
    let mut last = None;
    for emb in &setup.embedders {
        let name = emb.name();
        let l = Layouter::shared(setup.library.clone(), emb.clone(), None)?;
        sent.push(evaluate_sentences(&l, Method::Knn, &test, &format!("k=5, {name}, library pool"))?);
        let pool = Knn::shared(as_entries(&train), emb.clone(), K)?;
        sent.push(score_sentences("knn", &format!("k=5, {name}, train sentences"), &test, |t| {
            Ok((pool.predict(t)?, None, false))
        })?);
        lib.push(evaluate(&l, Method::Knn, &heldout, &format!("k=5, {name}"))?);
        let features =
            if name == l.structured().encoder { format!("{name}+cues") } else { "cues only".into() };
        if !structured_rows.contains(&features) {
            sent.push(evaluate_sentences(&l, Method::Structured, &test, &features)?);
            lib.push(evaluate(&l, Method::Structured, &heldout, &features)?);
            structured_rows.push(features);
        }
        last = Some(emb.clone());
    }
    if let (Some(client), Some(emb)) = (setup.llm, last) {
        let model = client.config().model.clone();
        let mut l = Layouter::shared(setup.library.clone(), emb, Some(client))?;
        l.seed = setup.seed;
        for m in [Method::ZeroShot, Method::FewShot] {
            sent.push(evaluate_sentences(&l, m, &test, &model)?);
            lib.push(evaluate(&l, m, &heldout, &model)?);
        }
    }
    Ok(Report { sentences: sent, library: lib })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmse_is_mean_squared_distance_over_both_people() {
        let g = Layout { a: [0.0, 0.0, -0.5], b: [0.0, 0.0, 0.5] };
        let p = Layout { a: [0.0, 0.0, -1.5], b: [0.0, 0.0, 0.5] };
        assert_eq!(tmse(&[(g, g)]), 0.0);
        assert!((tmse(&[(p, g)]) - 0.5).abs() < 1e-12);
        assert!((tmse(&[(p, g), (g, g)]) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn a_constant_row_scores_the_same_layout_everywhere() {
        let lib = crate::Library::builtin();
        let held = lib.heldout();
        let exact = constant(held[0].layout(), &held[..1], "self");
        assert_eq!((exact.n, exact.tmse), (1, 0.0));
        let r = constant(Layout::face_to_face(), &held, "f2f");
        assert_eq!(r.n, held.len());
        assert!(r.tmse > 0.0 && table(&[r]).contains("constant"));
    }
}
