//! The LLM prompt of paper appendix §2.2: (1) a system instruction defining the coordinate
//! system and the origin, (2) three in-context examples drawn at random from the labelled pool
//! (few-shot) or none (zero-shot, appendix §4's baseline), (3) the user's query; strict JSON out.

use crate::library::Entry;

/// Sampling temperature (appendix §2.2).
pub const TEMPERATURE: f64 = 0.2;
/// Output token limit (appendix §2.2).
pub const MAX_TOKENS: u32 = 128;
/// In-context examples per query (appendix §2.2).
pub const N_EXAMPLES: usize = 3;

/// The system instruction: the paper's template sentence by sentence, plus the frame (+X right,
/// +Z forward, which the paper says the instruction defines) and the JSON shape, which a
/// zero-shot model cannot otherwise guess.
pub const SYSTEM: &str = "You are a 3D scene layout assistant. Generate 3D head translation coordinates (in meters) \
for two people (A and B) based on a text description. The coordinate system: +X is right, +Y is up, +Z is forward \
(away from the viewer). The center of the conversation is (0,0,0). Output ONLY valid JSON in the form \
{\"A\": [x, y, z], \"B\": [x, y, z]}.";

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Message {
    /// `system` or `user`.
    pub role: &'static str,
    /// The text.
    pub content: String,
}

fn fmt_point(p: [f32; 3]) -> String {
    // `{:?}` prints 0.0 / -0.5 / 0.15 as the paper's examples do.
    format!("[{:?}, {:?}, {:?}]", p[0], p[1], p[2])
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text.trim()).unwrap_or_else(|_| format!("\"{}\"", text.trim()))
}

/// The user message: numbered examples, then the query, exactly in the appendix's layout.
pub fn user_message(examples: &[&Entry], query: &str) -> String {
    let mut s = String::new();
    for (i, e) in examples.iter().enumerate() {
        s.push_str(&format!(
            "[Example {}]\nInput: {}\nOutput: {{\"A\": {}, \"B\": {}}}\n\n",
            i + 1,
            quoted(&e.text),
            fmt_point(e.a),
            fmt_point(e.b)
        ));
    }
    s.push_str(&format!("[User Query]\nInput: {}\nOutput:", quoted(query)));
    s
}

/// System + user messages for a query with the given examples (empty for zero-shot).
pub fn messages(examples: &[&Entry], query: &str) -> Vec<Message> {
    vec![
        Message { role: "system", content: SYSTEM.to_string() },
        Message { role: "user", content: user_message(examples, query) },
    ]
}

/// A small deterministic generator (SplitMix64) so example draws reproduce from a seed without
/// a dependency.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// Seeds the generator.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Draws `n` distinct pool entries (all of them when the pool is smaller), seeded by `seed` and
/// the query text so one query always gets the same examples for one seed.
pub fn draw_examples<'a>(pool: &[&'a Entry], query: &str, seed: u64, n: usize) -> Vec<&'a Entry> {
    // FNV-1a of the query mixed into the seed.
    let h = query.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let mut rng = SplitMix64::new(seed ^ h);
    let mut idx: Vec<usize> = (0..pool.len()).collect();
    let take = n.min(idx.len());
    for i in 0..take {
        let j = i + rng.below(idx.len() - i);
        idx.swap(i, j);
    }
    idx[..take].iter().map(|&i| pool[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::Library;

    #[test]
    fn few_shot_prompt_matches_the_appendix_layout() {
        let lib = Library::builtin();
        let ex: Vec<&Entry> =
            ["face-to-face", "bench-game", "whisper-ear"].iter().map(|id| lib.get(id).unwrap()).collect();
        let m = messages(&ex, "Two friends chatting at a bus stop.");
        assert_eq!(m[0].role, "system");
        assert!(m[0].content.starts_with("You are a 3D scene layout assistant."));
        assert!(m[0].content.contains("The center of the conversation is (0,0,0). Output ONLY valid JSON"));
        let want = "[Example 1]\nInput: \"Standing face-to-face in a normal conversation.\"\n\
Output: {\"A\": [0.0, 0.0, -0.5], \"B\": [0.0, 0.0, 0.5]}\n\n\
[Example 2]\nInput: \"Sitting side-by-side on a bench watching a game.\"\n\
Output: {\"A\": [-0.3, -0.2, 0.0], \"B\": [0.3, -0.2, 0.0]}\n\n\
[Example 3]\nInput: \"A is whispering into B's ear.\"\n\
Output: {\"A\": [-0.15, 0.0, -0.1], \"B\": [0.15, 0.0, 0.1]}\n\n\
[User Query]\nInput: \"Two friends chatting at a bus stop.\"\nOutput:";
        assert_eq!(m[1].content, want);
        let zero = messages(&[], "Q");
        assert_eq!(zero[1].content, "[User Query]\nInput: \"Q\"\nOutput:");
    }

    #[test]
    fn example_draws_are_distinct_and_reproducible() {
        let lib = Library::builtin();
        let pool = lib.pool();
        let a = draw_examples(&pool, "query", 7, 3);
        let b = draw_examples(&pool, "query", 7, 3);
        assert_eq!(a.iter().map(|e| &e.id).collect::<Vec<_>>(), b.iter().map(|e| &e.id).collect::<Vec<_>>());
        assert_eq!(a.len(), 3);
        assert!(a[0].id != a[1].id && a[1].id != a[2].id && a[0].id != a[2].id);
        assert!(a.iter().all(|e| e.split == crate::library::Split::Pool));
        let others: std::collections::HashSet<_> =
            (0..20).map(|s| draw_examples(&pool, "query", s, 3)[0].id.clone()).collect();
        assert!(others.len() > 3, "different seeds draw different examples");
    }
}
