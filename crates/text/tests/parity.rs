//! Parity of the burn all-MiniLM-L6-v2 with the reference implementation: token ids and
//! sentence embeddings against `fixtures/minilm_reference.json`, written by
//! `scripts/minilm_reference.py` with transformers (or sentence-transformers) from the same
//! weights. Needs the model files: `crates/text/scripts/fetch_minilm.sh` (run by
//! scripts/setup.sh) puts them where the encoder looks.

use duologue_layout::embed::dot;
use duologue_layout::TextEmbedder;
use duologue_text::MiniLm;
use serde_json::Value;

fn model() -> MiniLm {
    match MiniLm::load_default() {
        Ok(m) => m,
        Err(e) => {
            panic!("{e}\n(the parity test needs the weights: bash crates/text/scripts/fetch_minilm.sh)")
        }
    }
}

fn fixture() -> Value {
    serde_json::from_str(include_str!("fixtures/minilm_reference.json")).unwrap()
}

#[test]
fn minilm_matches_the_reference_embeddings() {
    let m = model();
    let f = fixture();
    let sentences: Vec<&str> =
        f["sentences"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for (s, ids) in sentences.iter().zip(f["token_ids"].as_array().unwrap()) {
        let want: Vec<u32> = ids.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
        assert_eq!(m.token_ids(s).unwrap(), want, "token ids of {s:?}");
    }
    // All in one padded batch: also checks that padding is masked out.
    let got = m.embed(&sentences).unwrap();
    for ((s, g), w) in sentences.iter().zip(&got).zip(f["embeddings"].as_array().unwrap()) {
        let w: Vec<f32> = w.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
        assert_eq!(g.len(), 384);
        let max = g.iter().zip(&w).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert!(max < 1e-5, "{s:?}: max abs difference {max}");
        assert!(dot(g, &w) > 0.99999, "{s:?}: cosine {}", dot(g, &w));
        eprintln!("{s:?}: max |rust - reference| = {max:.2e}");
    }
    // One at a time gives the same vectors as the batch (no padding leaks).
    let single = m.embed(&[sentences[6]]).unwrap();
    let max = single[0].iter().zip(&got[6]).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(max < 1e-5, "batch vs single: {max}");
}

#[test]
fn minilm_knows_what_is_near() {
    let m = model();
    let e = m
        .embed(&[
            "two people whispering",
            "someone murmuring a secret into a friend's ear",
            "a coach shouting across the football field",
        ])
        .unwrap();
    assert!(dot(&e[0], &e[1]) > dot(&e[0], &e[2]) + 0.1);
}
