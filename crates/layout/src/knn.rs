//! k-nearest-neighbour layouts (paper appendix §4's baseline): embed the query, take the k
//! pool entries with the highest cosine similarity and average their layouts.

use crate::embed::{dot, TextEmbedder};
use crate::error::{LayoutError, Result};
use crate::library::Entry;
use crate::Layout;
use std::rc::Rc;

/// The paper's k.
pub const K: usize = 5;

/// A retrieval index over pool entries.
pub struct Knn {
    entries: Vec<Entry>,
    vectors: Vec<Vec<f32>>,
    embedder: Rc<dyn TextEmbedder>,
    k: usize,
}

impl Knn {
    /// Embeds the `pool` with `embedder`; queries average the `k` nearest.
    pub fn new(pool: Vec<Entry>, embedder: Box<dyn TextEmbedder>, k: usize) -> Result<Knn> {
        Knn::shared(pool, Rc::from(embedder), k)
    }

    /// [`Knn::new`] with an embedder shared with other users.
    pub fn shared(pool: Vec<Entry>, embedder: Rc<dyn TextEmbedder>, k: usize) -> Result<Knn> {
        if pool.is_empty() {
            return Err(LayoutError::Library {
                path: "pool".into(),
                msg: "no pool entries to retrieve from".into(),
            });
        }
        let texts: Vec<&str> = pool.iter().map(|e| e.text.as_str()).collect();
        let vectors = embedder.embed(&texts)?;
        Ok(Knn { entries: pool, vectors, embedder, k: k.max(1) })
    }

    /// The embedder's name.
    pub fn embedder_name(&self) -> String {
        self.embedder.name()
    }

    /// The embedder.
    pub fn embedder(&self) -> &dyn TextEmbedder {
        self.embedder.as_ref()
    }

    /// The `k` nearest pool entries with their cosine similarity, best first (ties keep file
    /// order, so results are deterministic).
    pub fn neighbours(&self, text: &str) -> Result<Vec<(f32, &Entry)>> {
        let q = self.embedder.embed(&[text])?.into_iter().next().unwrap_or_default();
        let mut scored: Vec<(f32, usize)> =
            self.vectors.iter().enumerate().map(|(i, v)| (dot(&q, v), i)).collect();
        scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        Ok(scored.into_iter().take(self.k).map(|(s, i)| (s, &self.entries[i])).collect())
    }

    /// The mean layout of the nearest entries.
    pub fn predict(&self, text: &str) -> Result<Layout> {
        let nb = self.neighbours(text)?;
        let n = nb.len() as f32;
        let mut out = Layout { a: [0.0; 3], b: [0.0; 3] };
        for (_, e) in &nb {
            for i in 0..3 {
                out.a[i] += e.a[i] / n;
                out.b[i] += e.b[i] / n;
            }
        }
        Ok(out)
    }
}
