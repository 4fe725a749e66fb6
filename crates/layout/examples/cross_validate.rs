//! 5-fold cross-validation of the structured layout method on the `train` split of
//! `data/scenes.json` (never the test split), for choosing training settings (README,
//! "Structured"): `cargo run -p duologue-layout --example cross_validate -- 0.01 0.03 0.1`
//! prints, per L2 penalty, how often the distance is in range, the arrangement is right, both,
//! and the postures and level are right, with all-MiniLM-L6-v2 and with the cues alone.

use duologue_layout::classify::Fit;
use duologue_layout::scene::horizontal_distance;
use duologue_layout::{structured, Labelled, Result, SentenceSet, SentenceSplit, TextEmbedder};
use std::cell::RefCell;
use std::collections::HashMap;

/// Embeds each sentence once across all folds.
struct Memo<E> {
    inner: E,
    seen: RefCell<HashMap<String, Vec<f32>>>,
}

impl<E: TextEmbedder> TextEmbedder for Memo<E> {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let new: Vec<&str> = texts.iter().copied().filter(|t| !self.seen.borrow().contains_key(*t)).collect();
        for (t, v) in new.iter().zip(self.inner.embed(&new)?) {
            self.seen.borrow_mut().insert(t.to_string(), v);
        }
        Ok(texts.iter().map(|t| self.seen.borrow().get(*t).cloned().unwrap_or_default()).collect())
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let lambdas: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let lambdas = if lambdas.is_empty() { vec![structured::FIT.lambda] } else { lambdas };
    // CV_MISSES=1 prints the held-out-fold sentences read wrong (distance or arrangement).
    let show = std::env::var_os("CV_MISSES").is_some();
    let set = SentenceSet::builtin()?;
    let train = set.split(SentenceSplit::Train);
    let scored = std::env::var("CV_SCORED").ok().and_then(|v| v.parse().ok()).unwrap_or(train.len());
    let enc = Memo { inner: duologue_text::MiniLm::load_default()?, seen: RefCell::new(HashMap::new()) };
    for lambda in lambdas {
        // [in range, arrangement, both, posture, level] with the encoder, then with cues only.
        let mut hits = [[0usize; 5]; 2];
        for k in 0..5 {
            // CV_SCORED=N: only the first N training sentences are held out and scored; the
            // rest always train (to compare added sentences on the same scored set).
            let fold = |keep: bool| -> Vec<&Labelled> {
                train
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (*i < scored && i % 5 == k) != keep)
                    .map(|(_, s)| *s)
                    .collect()
            };
            let w = structured::train_on(&fold(true), &enc, Fit { lambda, ..structured::FIT })?;
            for s in fold(false) {
                for (j, e) in [Some(&enc as &dyn TextEmbedder), None].into_iter().enumerate() {
                    let r = w.read(&s.text, e)?.scene;
                    let d = s.in_range(horizontal_distance(&r.layout()));
                    let a = r.arrangement == s.arrangement;
                    if j == 0 && show && !(d && a) {
                        println!(
                            "  miss {:?} range {:?} {} | read {:.2} m {}",
                            s.text, s.range, s.arrangement, r.distance, r.arrangement
                        );
                    }
                    for (h, ok) in
                        hits[j].iter_mut().zip([d, a, d && a, r.posture == s.posture, r.level == s.level])
                    {
                        *h += usize::from(ok);
                    }
                }
            }
        }
        let pct = |h: &[usize; 5]| {
            h.map(|x| format!("{:.1}%", 100.0 * x as f64 / scored.min(train.len()) as f64)).join(" ")
        };
        println!("lambda {lambda}: in-range arrangement both posture level");
        println!("  minilm+cues {}\n  cues only   {}", pct(&hits[0]), pct(&hits[1]));
    }
    Ok(())
}
