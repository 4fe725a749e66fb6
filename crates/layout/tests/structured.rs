//! The structured layout method with the real sentence encoder (all-MiniLM-L6-v2): on the
//! held-out sentences it must beat kNN and hold the accuracy the README reports, honour stated
//! distances, read every zone, arrangement, posture and level from sentences outside its
//! training set, turn people the way their arrangement says, and its shipped weights must be
//! what training on `data/scenes.json` gives.

use duologue_layout::eval::{self, Setup};
use duologue_layout::scene::horizontal_distance;
use duologue_layout::{
    structured, tfidf_for, Arrangement, Labelled, Layouter, Level, Library, Method, Posture, SentenceSet,
    SentenceSplit, TextEmbedder, Weights, Zone,
};
use std::rc::Rc;

fn minilm() -> Rc<dyn TextEmbedder> {
    match duologue_text::MiniLm::load_default() {
        Ok(m) => Rc::new(m),
        Err(e) => panic!("all-MiniLM-L6-v2 is needed for this test; run scripts/setup.sh ({e})"),
    }
}

fn layouter() -> Layouter {
    Layouter::shared(Library::builtin(), minilm(), None).unwrap()
}

fn training_texts() -> Vec<String> {
    let set = SentenceSet::builtin().unwrap();
    set.split(SentenceSplit::Train).iter().map(|s| s.text.to_lowercase()).collect()
}

#[test]
fn held_out_sentences_beat_knn_and_hold_the_reported_accuracy() {
    let lib = Library::builtin();
    let setup = Setup {
        embedders: vec![Rc::new(tfidf_for(&lib)), minilm()],
        library: lib,
        sentences: SentenceSet::builtin().unwrap(),
        llm: None,
        seed: 0,
    };
    let report = eval::run(setup).unwrap();
    println!("{}", report.render());
    let s = report.sentences.iter().find(|r| r.by == "minilm+cues").unwrap();
    // The README's table: 88.4% in range, 90.9% arrangement, 82.6% both (the aim is
    // 90% both, which this method does not reach yet); guard against falling back.
    assert!(s.in_range >= 0.85 && s.arrangement.unwrap_or(0.0) >= 0.88 && s.both >= 0.80, "{s:?}");
    for other in report.sentences.iter().filter(|r| r.method != "structured") {
        assert!(
            s.tmse < other.tmse,
            "structured {:.3} vs {} {} {:.3}",
            s.tmse,
            other.method,
            other.by,
            other.tmse
        );
    }
    let lib_s = report.library.iter().find(|r| r.by == "minilm+cues").unwrap();
    for knn in report.library.iter().filter(|r| r.method != "structured") {
        assert!(lib_s.tmse < knn.tmse, "library held-out: {:.3} vs {} {:.3}", lib_s.tmse, knn.by, knn.tmse);
    }
}

#[test]
fn the_shipped_weights_are_what_training_on_the_data_gives() {
    let set = SentenceSet::builtin().unwrap();
    let enc = minilm();
    let fresh =
        Weights::from_json("retrained", &structured::train(&set, enc.as_ref()).unwrap().to_json().unwrap())
            .unwrap();
    let shipped = Weights::builtin().unwrap();
    assert_eq!(
        (fresh.trained_on, fresh.fit, fresh.embedding_weight),
        (shipped.trained_on, shipped.fit, shipped.embedding_weight)
    );
    let worst = |a: &structured::Heads, b: &structured::Heads| {
        let pairs = [
            (&a.distance, &b.distance),
            (&a.arrangement, &b.arrangement),
            (&a.upper, &b.upper),
            (&a.lower, &b.lower),
            (&a.level, &b.level),
        ];
        pairs
            .iter()
            .flat_map(|(x, y)| x.w.iter().zip(&y.w).map(|(p, q)| (p - q).abs() / p.abs().max(1.0)))
            .fold(0.0f32, f32::max)
    };
    assert!(
        worst(&fresh.with_encoder, &shipped.with_encoder) < 5e-3,
        "stale minilm+cues weights: retrain (README)"
    );
    assert!(worst(&fresh.cues_only, &shipped.cues_only) < 5e-3, "stale cues-only weights: retrain (README)");
    let test = set.split(SentenceSplit::Test);
    let same = test
        .iter()
        .filter(|s| {
            let a = fresh.read(&s.text, Some(enc.as_ref())).unwrap().scene;
            let b = shipped.read(&s.text, Some(enc.as_ref())).unwrap().scene;
            a == b
        })
        .count();
    assert!(same + 1 >= test.len(), "{same} of {} test sentences read the same", test.len());
}

#[test]
fn stated_distances_are_honoured_within_ten_percent() {
    let l = layouter();
    let train = training_texts();
    for (text, metres) in [
        ("My brother and I stood 4 metres apart in the car park, talking.", 4.0),
        ("Two colleagues sit six feet apart at the long table and talk.", 1.8288),
        ("A couple sits 50 cm apart on a garden bench.", 0.5),
        ("Two campers shout to each other from 12 m away.", 12.0),
        ("Two chess players keep about 90 centimetres between them.", 0.9),
        ("She stays an arm's length from the stranger while they talk.", 0.7),
        ("Two friends stand 2.5 meters from each other, chatting.", 2.5),
        ("Two hikers talk from about ten yards apart.", 9.144),
    ] {
        assert!(!train.contains(&text.to_lowercase()));
        let o = l.layout(text, Method::Structured).unwrap();
        let d = horizontal_distance(&o.layout);
        assert!((d - metres).abs() <= 0.1 * metres, "{text}: {d:.2} m, stated {metres}");
        let r = o.reading.unwrap();
        assert!(r.attributes.iter().any(|a| a.name == "distance" && a.source.contains("text")), "{text}");
    }
}

/// Sentences written for this test (not in the training split), one or more per value of
/// every attribute, with what must be read.
#[test]
fn every_zone_arrangement_posture_and_level_is_read_from_new_sentences() {
    let l = layouter();
    let train = training_texts();
    type Check = (&'static str, Option<Zone>, Option<Arrangement>, Option<[Posture; 2]>, Option<Level>);
    use Arrangement as A;
    use Posture as P;
    let checks: [Check; 16] = [
        (
            "Two teenagers whisper and giggle, their heads nearly touching.",
            Some(Zone::Intimate),
            None,
            None,
            None,
        ),
        (
            "Two old colleagues have a friendly chat in the lobby.",
            Some(Zone::Personal),
            Some(A::FaceToFace),
            None,
            None,
        ),
        (
            "Two managers talk across a wide meeting table in the boardroom.",
            Some(Zone::Social),
            Some(A::AcrossTable),
            Some([P::Sitting; 2]),
            None,
        ),
        (
            "Two fans yell to each other across the whole stadium.",
            Some(Zone::Public),
            Some(A::FaceToFace),
            None,
            None,
        ),
        (
            "Two brothers sit next to each other on the couch, playing video games.",
            None,
            Some(A::SideBySide),
            Some([P::Sitting; 2]),
            None,
        ),
        (
            "Two colleagues sit at the corner of the desk at right angles to each other.",
            None,
            Some(A::LShape),
            Some([P::Sitting; 2]),
            None,
        ),
        (
            "In the queue at the post office, the woman behind talks to the man in front.",
            None,
            Some(A::Behind),
            None,
            None,
        ),
        (
            "A couple eats dinner across a small kitchen table.",
            Some(Zone::Personal),
            Some(A::AcrossTable),
            Some([P::Sitting; 2]),
            None,
        ),
        (
            "Two neighbours stand face to face at the garden gate.",
            None,
            Some(A::FaceToFace),
            Some([P::Standing; 2]),
            Some(Level::Ground),
        ),
        ("Two toddlers play together in the sandpit.", None, None, Some([P::Child; 2]), None),
        (
            "A grandmother lies in her bed while her grandson sits beside her on a chair.",
            None,
            None,
            Some([P::Lying, P::Sitting]),
            None,
        ),
        (
            "A man kneels to tie the shoe of a woman standing in front of him.",
            None,
            None,
            Some([P::Kneeling, P::Standing]),
            None,
        ),
        (
            "Two friends sit on the ground facing each other, sharing a picnic.",
            None,
            Some(A::FaceToFace),
            Some([P::Floor; 2]),
            None,
        ),
        (
            "A pop star on the stage chats with a fan standing at the front of the crowd.",
            None,
            None,
            None,
            Some(Level::Stage),
        ),
        (
            "A woman on her balcony chats with the neighbour in the garden below.",
            None,
            None,
            None,
            Some(Level::Balcony),
        ),
        (
            "A boy sitting at the top of the stairs talks to his mum at the bottom.",
            None,
            None,
            None,
            Some(Level::Stairs),
        ),
    ];
    let (mut checked, mut failures) = (0, Vec::new());
    for (text, zone, arr, posture, level) in checks {
        assert!(!train.contains(&text.to_lowercase()), "{text} is a training sentence");
        let s = l.read(text).unwrap().scene;
        let results = [
            zone.map(|z| ("zone", s.zone() == z)),
            arr.map(|a| ("arrangement", s.arrangement == a)),
            posture.map(|p| ("posture", s.posture == p)),
            level.map(|v| ("level", s.level == v)),
        ];
        for (what, ok) in results.into_iter().flatten() {
            checked += 1;
            if !ok {
                failures.push(format!("{what} of {text:?}: read {s:?}"));
            }
        }
    }
    // Two slips in the 27 checks are tolerated (today one: the two managers at the boardroom
    // table are read as one standing, one sitting); more means the method got worse.
    assert!(failures.len() <= 2, "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
}

/// On the test split, grouped by the value of each attribute: every value occurs and is read
/// right at least half of the time.
#[test]
fn every_attribute_value_is_mostly_right_on_the_test_split() {
    let l = layouter();
    let set = SentenceSet::builtin().unwrap();
    let test = set.split(SentenceSplit::Test);
    let reads: Vec<(&Labelled, duologue_layout::Scene)> =
        test.iter().map(|s| (*s, l.read(&s.text).unwrap().scene)).collect();
    let share = |label: &dyn Fn(&Labelled) -> bool,
                 right: &dyn Fn(&Labelled, &duologue_layout::Scene) -> bool| {
        let group: Vec<_> = reads.iter().filter(|(s, _)| label(s)).collect();
        let ok = group.iter().filter(|(s, r)| right(s, r)).count();
        (ok, group.len())
    };
    let mut report = Vec::new();
    for &z in Zone::ALL {
        report
            .push((format!("zone {}", z.name()), share(&|s| s.zone() == z, &|s, r| s.in_range(r.distance))));
    }
    for &a in Arrangement::ALL {
        report.push((
            format!("arrangement {a}"),
            share(&|s| s.arrangement == a, &|s, r| r.arrangement == s.arrangement),
        ));
    }
    for &p in Posture::ALL {
        report.push((
            format!("posture {p}"),
            share(&|s| s.posture.contains(&p), &|_, r| r.posture.contains(&p)),
        ));
    }
    for &v in Level::ALL {
        report.push((format!("level {v}"), share(&|s| s.level == v, &|s, r| r.level == s.level)));
    }
    let text: Vec<String> = report.iter().map(|(n, (ok, all))| format!("{n}: {ok}/{all}")).collect();
    println!("{}", text.join("\n"));
    for (name, (ok, all)) in &report {
        assert!(*all > 0 && 2 * ok >= *all, "{name}: {ok}/{all}\n{}", text.join("\n"));
    }
}

#[test]
fn facing_follows_the_arrangement_and_heights_follow_posture_and_level() {
    let l = layouter();
    let sofa = l.layout("a couple sitting next to each other on a sofa", Method::Structured).unwrap();
    assert_eq!(sofa.reading.as_ref().unwrap().scene.arrangement, Arrangement::SideBySide);
    let [fa, fb] = sofa.facing();
    assert!(
        fa.forward[2] < -0.8 && fb.forward[2] < -0.8,
        "both toward the viewer: {:?} {:?}",
        fa.forward,
        fb.forward
    );
    assert!(fa.forward[0] > 0.2 && fb.forward[0] < -0.2, "turned slightly toward each other");
    assert!(sofa.layout.a[1] < -0.2 && sofa.layout.b[1] < -0.2, "seated heads are lower: {:?}", sofa.layout);

    let f2f = l.layout("two friends standing face to face, talking", Method::Structured).unwrap();
    let [fa, fb] = f2f.facing();
    assert!(fa.forward[2] > 0.9 && fb.forward[2] < -0.9, "each looks at the other");

    let balcony =
        l.layout("a woman on a balcony talks to a man in the street below", Method::Structured).unwrap();
    let [fa, fb] = balcony.facing();
    assert!(balcony.layout.b[1] > 2.5, "{:?}", balcony.layout);
    assert!(fa.pitch > 0.3 && fb.pitch < -0.3, "looking up and down: {} {}", fa.pitch, fb.pitch);
}

#[test]
fn details_name_each_attribute_with_how_sure() {
    let l = layouter();
    let o = l
        .layout("a teacher lecturing to a student in the back row of a big classroom", Method::Structured)
        .unwrap();
    let d = o.details();
    let attrs = d["reading"]["attributes"].as_array().unwrap();
    let names: Vec<&str> = attrs.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["zone", "distance", "arrangement", "posture", "level"]);
    for a in attrs {
        let c = a["confidence"].as_f64().unwrap();
        assert!((0.0..=1.0 + 1e-6).contains(&c) && !a["source"].as_str().unwrap().is_empty(), "{a}");
    }
    assert_eq!(d["method"], "structured");
    assert!(d["facing"]["A"]["yaw"].is_number());
    assert_eq!(d["reading"]["anchor"]["phrase"], "back row", "{d}");
    let none = l.layout("two old friends talk about the weather", Method::Structured).unwrap().details();
    assert!(none["reading"]["anchor"].is_null(), "{none}");
}
