//! Sentence embeddings for retrieval (the paper's kNN baseline, appendix §4, retrieves with
//! CLIP text features; we offer an embedded TF-IDF that needs no download, and the
//! `duologue-text` crate plugs all-MiniLM-L6-v2 into the same [`TextEmbedder`] trait).

use crate::error::Result;
use std::collections::HashMap;

/// Turns texts into unit-length vectors whose dot product is their cosine similarity.
pub trait TextEmbedder {
    /// Short name for tables and messages (`tfidf`, `minilm`).
    fn name(&self) -> String;
    /// One L2-normalised vector per text, all the same length.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;
}

/// Words too common in layout descriptions to tell two apart; dropped from word features only
/// (character n-grams still see them, which is harmless once IDF weights them down).
const STOP: &[&str] = &[
    "a", "an", "the", "of", "to", "in", "on", "at", "and", "is", "are", "with", "each", "other", "who",
    "them", "their", "they", "it", "its", "by", "for", "from", "as", "while", "one", "two",
];

/// TF-IDF over word 1–2-grams and character 3–5-grams (within words), each block
/// L2-normalised, concatenated with equal weight and normalised again. Sublinear term
/// frequency, smoothed IDF `ln((1+N)/(1+df)) + 1`, vocabulary and IDF fitted on a corpus
/// (the library's pool); n-grams never seen in the corpus are ignored.
#[derive(Debug, Clone)]
pub struct TfIdf {
    vocab: HashMap<String, usize>,
    idf: Vec<f32>,
    /// Index of the first character feature: `[0, n_word)` are word n-grams.
    n_word: usize,
}

fn words(text: &str) -> Vec<String> {
    let lower: String =
        text.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { ' ' }).collect();
    lower.split_whitespace().map(str::to_string).collect()
}

/// Word features, then character features, of one text (with repeats).
fn features(text: &str) -> (Vec<String>, Vec<String>) {
    let ws = words(text);
    let content: Vec<&str> = ws.iter().map(String::as_str).filter(|w| !STOP.contains(w)).collect();
    let mut wf: Vec<String> = content.iter().map(|w| format!("w:{w}")).collect();
    wf.extend(content.windows(2).map(|p| format!("b:{} {}", p[0], p[1])));
    let mut cf = Vec::new();
    for w in &ws {
        let padded: Vec<char> = format!(" {w} ").chars().collect();
        for n in 3..=5 {
            cf.extend(padded.windows(n).map(|g| format!("c:{}", g.iter().collect::<String>())));
        }
    }
    (wf, cf)
}

impl TfIdf {
    /// Fits vocabulary and IDF on `corpus`.
    pub fn fit(corpus: &[&str]) -> TfIdf {
        let mut df_w: HashMap<String, usize> = HashMap::new();
        let mut df_c: HashMap<String, usize> = HashMap::new();
        for t in corpus {
            let (wf, cf) = features(t);
            for (set, df) in [(wf, &mut df_w), (cf, &mut df_c)] {
                let uniq: std::collections::BTreeSet<String> = set.into_iter().collect();
                for f in uniq {
                    *df.entry(f).or_default() += 1;
                }
            }
        }
        // Sorted for a deterministic feature order.
        let mut w: Vec<(String, usize)> = df_w.into_iter().collect();
        let mut c: Vec<(String, usize)> = df_c.into_iter().collect();
        w.sort();
        c.sort();
        let n = corpus.len() as f32;
        let n_word = w.len();
        let mut vocab = HashMap::new();
        let mut idf = Vec::new();
        for (i, (f, df)) in w.into_iter().chain(c).enumerate() {
            vocab.insert(f, i);
            idf.push(((1.0 + n) / (1.0 + df as f32)).ln() + 1.0);
        }
        TfIdf { vocab, idf, n_word }
    }

    /// Number of features (the embedding length).
    pub fn dim(&self) -> usize {
        self.idf.len()
    }

    fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0.0f32; self.dim()];
        let (wf, cf) = features(text);
        let mut counts: HashMap<usize, f32> = HashMap::new();
        for f in wf.iter().chain(&cf) {
            if let Some(&i) = self.vocab.get(f) {
                *counts.entry(i).or_default() += 1.0;
            }
        }
        for (i, tf) in counts {
            v[i] = (1.0 + tf.ln()) * self.idf[i];
        }
        let (wv, cv) = v.split_at_mut(self.n_word);
        normalise(wv);
        normalise(cv);
        normalise(&mut v);
        v
    }
}

/// Scales `v` to unit length (leaves zero vectors alone).
pub fn normalise(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        v.iter_mut().for_each(|x| *x /= n);
    }
}

/// Dot product.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl TextEmbedder for TfIdf {
    fn name(&self) -> String {
        "tfidf".into()
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| self.embed_one(t)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_texts_are_closer_than_unrelated_ones() {
        let corpus = [
            "Sitting side-by-side on a bench watching a game.",
            "Standing face-to-face in a normal conversation.",
            "Shouting across a large hall to a friend at the far end.",
        ];
        let t = TfIdf::fit(&corpus);
        let e = t.embed(&["two people sitting on a bench", "yelling across the hall"]).unwrap();
        let c = t.embed(&corpus).unwrap();
        assert!(dot(&e[0], &c[0]) > dot(&e[0], &c[2]));
        assert!(dot(&e[1], &c[2]) > dot(&e[1], &c[0]));
        for v in e.iter().chain(&c) {
            assert!((dot(v, v) - 1.0).abs() < 1e-5);
        }
    }

    #[test]
    fn unseen_words_give_a_zero_vector_not_nan() {
        let t = TfIdf::fit(&["abc"]);
        let e = t.embed(&["zzzz qqqq"]).unwrap();
        assert!(e[0].iter().all(|&x| x == 0.0));
    }
}
