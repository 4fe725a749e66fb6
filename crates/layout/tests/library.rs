//! The labelled layout library: enough entries, consistent with its written convention and with
//! BEHAVIOR.md's distances, split into pool and held-out, presets valid.

use duologue_layout::{validate, Bounds, Layouter, Library, Method, Policy, Split, Zone};

#[test]
fn library_is_large_split_and_follows_its_convention() {
    let lib = Library::builtin();
    let n = lib.entries().len();
    assert!(n >= 60, "{n} entries");
    assert!(lib.pool().len() >= 30 && lib.heldout().len() >= 15);
    assert_eq!(lib.pool().len() + lib.heldout().len(), n);
    for e in lib.entries() {
        let l = e.layout();
        // Horizontal origin at the midpoint of the heads.
        let m = l.midpoint();
        assert!(m[0].abs() < 1e-5 && m[2].abs() < 1e-5, "{}: midpoint {m:?}", e.id);
        // A nearer the viewer, or on the left at equal depth.
        assert!(e.a[2] < e.b[2] || (e.a[2] == e.b[2] && e.a[0] < e.b[0]), "{}: A/B convention", e.id);
        assert_eq!(Zone::of_distance(l.distance()), e.category, "{}: {:.2} m", e.id, l.distance());
        let c = validate(&l, &Bounds::default(), Policy::Reject).unwrap();
        assert!(c.notes.is_empty());
    }
    for zone in [Zone::Intimate, Zone::Personal, Zone::Social, Zone::Public] {
        for split in [Split::Pool, Split::Heldout] {
            assert!(lib.split(split).iter().any(|e| e.category == zone), "{zone:?} in {split:?}");
        }
    }
}

#[test]
fn paper_examples_are_in_the_pool_verbatim() {
    let lib = Library::builtin();
    let find = |t: &str| lib.entries().iter().find(|e| e.text == t).unwrap();
    let f = find("Standing face-to-face in a normal conversation.");
    assert_eq!((f.a, f.b, f.split), ([0.0, 0.0, -0.5], [0.0, 0.0, 0.5], Split::Pool));
    let s = find("Sitting side-by-side on a bench watching a game.");
    assert_eq!((s.a, s.b), ([-0.3, -0.2, 0.0], [0.3, -0.2, 0.0]));
    let w = find("A is whispering into B's ear.");
    assert_eq!((w.a, w.b), ([-0.15, 0.0, -0.1], [0.15, 0.0, 0.1]));
}

#[test]
fn presets_resolve_by_name() {
    let lib = Library::builtin();
    for name in ["face-to-face", "side_by_side", "Whisper", "across-table", "corner", "stage", "walking"] {
        assert!(lib.preset(name).is_ok(), "{name}");
    }
    let e = lib.preset("nope").unwrap_err().to_string();
    assert!(e.contains("face-to-face"), "{e}");
}

#[test]
fn knn_with_tfidf_recovers_pool_entries_and_ranks_sensibly() {
    let l = Layouter::offline(None).unwrap();
    // A pool text is its own nearest neighbour.
    for e in l.library().pool() {
        let nb = l.knn().neighbours(&e.text).unwrap();
        assert_eq!(nb[0].1.id, e.id);
        assert_eq!(nb.len(), 5);
    }
    // The nearest neighbour follows the words.
    let top = |q: &str| l.knn().neighbours(q).unwrap()[0].1.id.clone();
    assert_eq!(top("yelling to someone at the far end of a big hall"), "across-hall");
    assert_eq!(top("whispering a secret into a friend's ear"), "whisper-ear");
    assert_eq!(top("a couple seated across a small cafe table"), "cafe-table");
    // The prediction is the plain mean of the 5 neighbours (appendix §4).
    let nb = l.knn().neighbours("walking side by side").unwrap();
    let mean_bz = nb.iter().map(|(_, e)| e.b[2]).sum::<f32>() / 5.0;
    let p = l.layout("walking side by side", Method::Knn).unwrap().layout;
    assert!((p.b[2] - mean_bz).abs() < 1e-6);
}

#[test]
fn layout_json_is_the_papers_shape_and_rounds_float_noise() {
    let l = duologue_layout::Layout { a: [1.0 - 0.09, 0.0, -0.5], b: [0.1 + 0.2, -0.2, 0.5] };
    assert_eq!(l.to_json(), r#"{"A":[0.91,0.0,-0.5],"B":[0.3,-0.2,0.5]}"#);
}
