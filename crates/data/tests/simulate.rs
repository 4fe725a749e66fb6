//! The simulator end to end with real espeak-ng speech (apt: espeak-ng libespeak-ng-dev;
//! scripts/setup.sh installs them).

use duologue_data::behavior::rot;
use duologue_data::espeak::{synthesize, VoiceSpec};
use duologue_data::mix::frame_db;
use duologue_data::{SimConfig, Simulator};
use duologue_face::FaceModel;
use duologue_params::{Joint, FPS, HOP, SAMPLE_RATE};
use glam::Vec3;
use std::sync::OnceLock;

fn sim() -> &'static Simulator {
    static SIM: OnceLock<Simulator> = OnceLock::new();
    SIM.get_or_init(|| {
        let cfg = SimConfig { seconds: 6.0, p_reverb: 0.0, p_noise: 0.0, ..Default::default() };
        Simulator::new(cfg, 0, 100, 0.1, 0.1)
            .expect("espeak-ng and its data must be installed (scripts/setup.sh: apt-get install espeak-ng libespeak-ng-dev)")
    })
}

#[test]
fn espeak_gives_its_own_phoneme_and_word_timings() {
    let v = VoiceSpec { name: "en-US".into(), rate: 175, pitch: 50, range: 50, volume: 100 };
    let u = synthesize(&v, "Mama made a map.").unwrap();
    assert!(u.seconds() > 0.5 && u.seconds() < 3.0, "{}", u.seconds());
    assert_eq!(u.words.len(), 4, "{:?}", u.words);
    let syms: Vec<&str> = u.phonemes.iter().map(|p| p.symbol.as_str()).collect();
    assert_eq!(syms.iter().filter(|s| **s == "m").count(), 4, "{syms:?}");
    for w in u.phonemes.windows(2) {
        assert!(w[0].start <= w[1].start && w[0].end <= u.seconds() + 1e-3);
    }
    // The audio is quiet before the first sounding phoneme and loud inside the words.
    let first = u.phonemes.iter().find(|p| !p.symbol.starts_with('_')).unwrap().start;
    let db = frame_db(&u.samples, u.samples.len() / HOP);
    let loud = db.iter().cloned().fold(f32::MIN, f32::max);
    let mid = ((u.words[1].start + u.words[1].end) / 2.0 * FPS as f32) as usize;
    assert!(db[mid] > loud - 25.0, "inside a word the audio is active");
    assert!(first < 0.2);
    // Voices differ: same text, another voice, another waveform length or content.
    let w =
        synthesize(&VoiceSpec { name: "en-US+Alicia".into(), pitch: 80, ..v }, "Mama made a map.").unwrap();
    assert_ne!(u.samples.len(), 0);
    assert!(w.samples != u.samples);
}

#[test]
fn clip_shapes_masks_and_flags() {
    let c = sim().clip(7, 3).unwrap();
    let l = 150;
    assert_eq!(c.frames(), l);
    assert_eq!(c.audio.len(), l * HOP);
    c.validate("test").unwrap();
    assert!(c.meta.lip_reliable && c.meta.gaze_reliable);
    assert!(!c.meta.layout_text.is_empty());
    for p in [&c.duo.a, &c.duo.b] {
        assert_eq!(p.x.dt(0), [0.0, 0.0, 0.0], "dt is relative to frame 0");
    }
    // Someone speaks, and the dry audio is active where the masks say so.
    let db = frame_db(&c.audio, l);
    let loud = db.iter().cloned().fold(f32::MIN, f32::max);
    let speaking: Vec<usize> = (0..l).filter(|&k| c.duo.a.mask[k] > 0.5 || c.duo.b.mask[k] > 0.5).collect();
    assert!(speaking.len() > l / 3, "{} speaking frames", speaking.len());
    let active = speaking.iter().filter(|&&k| db[k] > loud - 35.0).count();
    assert!(active as f32 > 0.9 * speaking.len() as f32, "{active}/{}", speaking.len());
    let silent: Vec<usize> = (0..l).filter(|&k| c.duo.a.mask[k] < 0.5 && c.duo.b.mask[k] < 0.5).collect();
    let quiet = silent.iter().filter(|&&k| db[k] < loud - 20.0).count();
    assert!(quiet as f32 >= 0.7 * silent.len() as f32, "{quiet}/{} silent frames quiet", silent.len());
    // Same seed and index: same conversation, timings, masks and lips (eSpeak's waveform
    // itself may differ in tiny ways with what the process spoke before, see espeak.rs).
    let again = sim().clip(7, 3).unwrap();
    assert_eq!((&again.duo.a.mask, &again.duo.b.mask), (&c.duo.a.mask, &c.duo.b.mask));
    assert_eq!((&again.meta.voices, &again.meta.layout_text), (&c.meta.voices, &c.meta.layout_text));
    for k in 0..l {
        assert_eq!(again.duo.a.x.lip(k), c.duo.a.x.lip(k));
    }
    assert_eq!(SAMPLE_RATE as usize, HOP * FPS as usize);
}

#[test]
fn lips_move_with_the_speaker() {
    let c = sim().clip(1, 0).unwrap();
    let jaw = duologue_face::EXPRESSION_NAMES.iter().position(|n| *n == "jaw_open").unwrap();
    for p in [&c.duo.a, &c.duo.b] {
        let (mut on, mut n_on, mut off, mut n_off) = (0.0, 0, 0.0, 0);
        for k in 0..c.frames() {
            let j = p.x.frame(k)[jaw];
            if p.mask[k] > 0.5 {
                on += j;
                n_on += 1;
            } else {
                off += j;
                n_off += 1;
            }
        }
        if n_on > 10 && n_off > 10 {
            assert!(
                on / n_on as f32 > 3.0 * off / n_off as f32,
                "jaw while speaking {} vs silent {}",
                on / n_on as f32,
                off / n_off as f32
            );
        }
    }
}

#[test]
fn gaze_at_partner_passes_within_a_few_cm_of_their_eyes() {
    let face = FaceModel::shared();
    let mut checked = 0;
    for index in 0..3 {
        let c = sim().clip(11, index).unwrap();
        let people = [&c.duo.a, &c.duo.b];
        for k in (0..c.frames()).step_by(5) {
            let posed: Vec<_> = people
                .iter()
                .map(|p| {
                    let f = p.x.frame(k);
                    face.pose(&p.beta, &f[..63], &f[63..75], p.translation(k))
                })
                .collect();
            for i in 0..2 {
                let me = &posed[i];
                let other = &posed[1 - i];
                let origin = [0, 1, 2].map(|a| 0.5 * (me.eye_centers[0][a] + me.eye_centers[1][a]));
                let g = me.gaze;
                // Distance from each of the partner's eyes (and mouth region) to my gaze ray.
                let dist = |q: [f32; 3]| {
                    let d = Vec3::from(q) - Vec3::from(origin);
                    let along = d.dot(Vec3::from(g));
                    (d.dot(d) - along * along).max(0.0).sqrt()
                };
                let best = dist(other.eye_centers[0]).min(dist(other.eye_centers[1]));
                // Count frames where this person looks at the partner's eyes: the ray passes
                // within 3 cm of one of them. Others look away or at the mouth.
                if best < 0.03 {
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 30, "only {checked} sampled frames had gaze on a partner's eye");
}

#[test]
fn the_two_face_each_other_at_rest() {
    let c = sim().clip(2, 1).unwrap();
    let face = FaceModel::shared();
    // Neck and head without the eyes: the rest gaze points toward the partner (within 30
    // degrees, the head sways and glances).
    let mut ok = 0;
    for k in 0..c.frames() {
        for (me, other) in [(&c.duo.a, &c.duo.b), (&c.duo.b, &c.duo.a)] {
            let mut theta = me.x.frame(k)[63..75].to_vec();
            for v in &mut theta[Joint::LeftEye.range().start - 63..] {
                *v = 0.0;
            }
            let g = face.gaze(&theta);
            let to = rot::unit(Vec3::from(other.translation(k)) - Vec3::from(me.translation(k)));
            ok += (Vec3::from(g).dot(to) > 30f32.to_radians().cos()) as usize;
        }
    }
    assert!(
        ok as f32 > 0.9 * 2.0 * c.frames() as f32,
        "{ok} of {} head directions face the partner",
        2 * c.frames()
    );
}

#[test]
fn splits_never_share_voices_or_identities() {
    let plan = sim().plan();
    for (a, b) in [("train", "val"), ("train", "test"), ("val", "test")] {
        assert!(plan.voices[a].iter().all(|v| !plan.voices[b].contains(v)));
        assert!(plan.identities[a].iter().all(|v| !plan.identities[b].contains(v)));
    }
    for i in 0..6 {
        let c = sim().clip(3, i).unwrap();
        for u in &c.meta.voice_units {
            assert!(plan.voices[&c.meta.split].contains(u), "{u} not in {}", c.meta.split);
        }
        for id in &c.meta.identities {
            assert!(plan.identities[&c.meta.split].contains(id));
        }
        assert_ne!(c.meta.voice_units[0], c.meta.voice_units[1]);
    }
}

#[test]
fn conversations_are_heard_through_a_drawn_channel_and_the_truth_stays() {
    use duologue_data::channel::{ChannelOdds, Transmission};
    // Every stage on: colour, codec (MP3 or Opus through ffmpeg), level in -30..-1 dBFS.
    let odds = ChannelOdds { p_colour: 1.0, p_telephone: 0.0, p_codec: 1.0, level_dbfs: (-30.0, -1.0) };
    let cfg = SimConfig { seconds: 6.0, p_reverb: 0.0, p_noise: 0.0, channel: odds, ..Default::default() };
    let aug = Simulator::new(cfg.clone(), 0, 100, 0.1, 0.1)
        .expect("ffmpeg with libmp3lame and libopus (scripts/setup.sh)");
    let clean = Simulator::new(SimConfig { channel: ChannelOdds::clean(), ..cfg }, 0, 100, 0.1, 0.1).unwrap();
    let (plain, heard) = (clean.clip(11, 5).unwrap(), aug.clip(11, 5).unwrap());
    // Same conversation, same motion and masks; other audio.
    assert_eq!(plain.duo.a.x.as_slice(), heard.duo.a.x.as_slice());
    assert_eq!(plain.duo.b.mask, heard.duo.b.mask);
    assert_ne!(plain.audio, heard.audio);
    assert_eq!(plain.audio.len(), heard.audio.len());
    let ch = &heard.meta.extra["channel"];
    assert!(ch["colour"].is_object(), "{ch}");
    assert!(matches!(ch["transmission"]["kind"].as_str(), Some("mp3" | "opus")), "{ch}");
    let want = ch["peak_dbfs"].as_f64().unwrap() as f32;
    let peak = heard.audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!((20.0 * peak.log10() - want).abs() < 0.01, "peak {peak} vs {want} dBFS");
    // The speech is still where the masks say: louder while someone speaks than in silence.
    let db = frame_db(&heard.audio, heard.frames());
    let (mut talk, mut quiet) = (Vec::new(), Vec::new());
    for (k, d) in db.iter().enumerate() {
        let speaking = heard.duo.a.mask[k] > 0.5 || heard.duo.b.mask[k] > 0.5;
        if speaking { &mut talk } else { &mut quiet }.push(*d);
    }
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len().max(1) as f32;
    assert!(!quiet.is_empty() && mean(&talk) > mean(&quiet) + 15.0, "{} vs {}", mean(&talk), mean(&quiet));
    // The clean simulator keeps the old fixed level and a full-band line.
    let peak = plain.audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    assert!((peak - 0.9).abs() < 1e-3, "clean peak {peak}");
    let line: Transmission =
        serde_json::from_value(plain.meta.extra["channel"]["transmission"].clone()).unwrap();
    assert_eq!(line, Transmission::Full);
}

#[test]
fn piper_speaks_with_the_frames_its_own_model_gives_each_phoneme() {
    use duologue_data::piper::{PiperVoice, VOICE_NAME};
    use duologue_data::rng::Rng;
    // The IPA Piper's front end feeds this voice (its own espeak-ng gives the same).
    let ipa = duologue_data::espeak::text_to_ipa("en-us", "Hello world.").unwrap();
    assert_eq!(ipa, "həlˈoʊ wˈɜːld.");
    let voice = PiperVoice::find().unwrap().expect("the Piper voice (crates/audio/scripts/fetch_piper.sh)");
    let (ids, _) = voice.phoneme_ids(&ipa);
    // Piper's own ids for it (notes/piper-vits.md).
    assert_eq!(
        ids,
        [
            1, 0, 20, 0, 59, 0, 24, 0, 120, 0, 27, 0, 100, 0, 3, 0, 35, 0, 120, 0, 62, 0, 122, 0, 24, 0, 17,
            0, 10, 0, 2
        ]
    );
    let spec = VoiceSpec { name: VOICE_NAME.into(), rate: 175, pitch: 50, range: 50, volume: 100 };
    let u = voice.synthesize(&spec, "Mama made a map.", &mut Rng::new(4)).unwrap();
    assert!(u.seconds() > 0.6 && u.seconds() < 3.0, "{}", u.seconds());
    let syms: Vec<&str> = u.phonemes.iter().map(|p| p.symbol.as_str()).collect();
    assert_eq!(syms.iter().filter(|s| **s == "m").count(), 4, "{syms:?}");
    assert_eq!(u.words.len(), 4, "{:?}", u.words);
    for w in u.phonemes.windows(2) {
        assert!(w[0].end <= w[1].start + 1e-4 && w[0].start <= w[0].end, "{:?}", u.phonemes);
    }
    // Loud inside the words; lips closed (/m/) quieter on average than the open vowels.
    let db = frame_db(&u.samples, u.samples.len() / HOP);
    let at = |t: f32| db[((t * FPS as f32) as usize).min(db.len() - 1)];
    let loud = db.iter().cloned().fold(f32::MIN, f32::max);
    let mid = 0.5 * (u.words[1].start + u.words[1].end);
    assert!(at(mid) > loud - 20.0);
    let mean_of = |sym: &str| {
        let v: Vec<f32> =
            u.phonemes.iter().filter(|p| p.symbol == sym).map(|p| at(0.5 * (p.start + p.end))).collect();
        v.iter().sum::<f32>() / v.len().max(1) as f32
    };
    assert!(mean_of("a") > mean_of("m"), "/a/ {} dB, /m/ {} dB", mean_of("a"), mean_of("m"));
    // The timings cover the audio.
    let last = u.phonemes.last().unwrap().end;
    assert!((last - u.seconds()).abs() < 0.05, "{last} vs {}", u.seconds());
}

#[test]
fn a_held_out_voice_family_is_heard_only_in_the_test_split() {
    use duologue_data::simulate::voice_family;
    let cfg = SimConfig {
        seconds: 4.0,
        p_reverb: 0.0,
        p_noise: 0.0,
        p_neural: 1.0,
        held_out_family: Some("piper".into()),
        ..Default::default()
    };
    let sim =
        Simulator::new(cfg, 3, 100, 0.1, 0.3).expect("the Piper voice (crates/audio/scripts/fetch_piper.sh)");
    let plan = sim.plan();
    assert!(plan.voices["test"].iter().any(|u| voice_family(u) == "piper"));
    for split in ["train", "val"] {
        assert!(
            plan.voices[split].iter().all(|u| voice_family(u) != "piper"),
            "{split}: {:?}",
            plan.voices[split]
        );
    }
    let (mut test_seen, mut train_seen) = (0, 0);
    for index in 0..12 {
        let c = sim.clip(21, index).unwrap();
        let fam: Vec<&str> = c.meta.voices.iter().map(|v| voice_family(v)).collect();
        assert_eq!(c.meta.extra["voice_families"], serde_json::json!(fam));
        if c.meta.split == "test" {
            // p_neural 1: one of the two speaks with Piper's voice (the other can't: one unit).
            assert_eq!(fam.iter().filter(|f| **f == "piper").count(), 1, "{:?}", c.meta.voices);
            let who = fam.iter().position(|f| *f == "piper").unwrap();
            let mask = if who == 0 { &c.duo.a.mask } else { &c.duo.b.mask };
            assert!(mask.iter().any(|&m| m > 0.5), "the neural voice speaks");
            test_seen += 1;
        } else {
            assert!(!fam.contains(&"piper"), "{:?}", c.meta.voices);
            train_seen += 1;
        }
    }
    assert!(test_seen > 0 && train_seen > 0, "{test_seen} test / {train_seen} other clips");
    let bad = SimConfig { held_out_family: Some("nonexistent".into()), ..Default::default() };
    assert!(Simulator::new(bad, 3, 100, 0.1, 0.3)
        .err()
        .unwrap()
        .to_string()
        .contains("unknown voice family"));
}
