//! Shards written and read back, corruption detection, rank splitting and dubbing.

use duologue_data::dub::{dub_clip, sources_from_dataset, DubConfig};
use duologue_data::rng::Rng;
use duologue_data::shard::{sha256_hex, DatasetHeader, Manifest, ShardEntry};
use duologue_data::{
    Clip, DataError, Dataset, OnError, ShardWriter, SimConfig, Simulator, Stats, StreamConfig,
};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

fn clips() -> &'static (Simulator, Vec<Clip>) {
    static C: OnceLock<(Simulator, Vec<Clip>)> = OnceLock::new();
    C.get_or_init(|| {
        let cfg = SimConfig { seconds: 3.0, ..Default::default() };
        let sim = Simulator::new(cfg, 0, 100, 0.0, 0.0).expect("espeak-ng installed (scripts/setup.sh)");
        let clips = (0..7).map(|i| sim.clip(5, i).unwrap()).collect();
        (sim, clips)
    })
}

fn header() -> DatasetHeader {
    DatasetHeader {
        kind: "dataset".into(),
        version: 1,
        fps: 25,
        sample_rate: 16000,
        source: "simulated".into(),
        splits: clips().0.plan().clone(),
        extra: serde_json::Value::Null,
    }
}

fn write(dir: &Path, per_shard: usize) -> Manifest {
    let mut w = ShardWriter::create(dir, header(), per_shard).unwrap();
    for c in &clips().1 {
        w.add(c).unwrap();
    }
    w.finish().unwrap()
}

fn read_all(ds: &Dataset, cfg: StreamConfig) -> Result<Vec<Clip>, DataError> {
    ds.stream(cfg)?.collect()
}

fn ordered(split: &str) -> StreamConfig {
    StreamConfig { shuffle: false, ..StreamConfig::train(split, 0) }
}

#[test]
fn shards_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), 3);
    assert_eq!(m.shards.len(), 3);
    assert_eq!(m.shards.iter().map(|s| s.clips).sum::<usize>(), 7);
    let again = Manifest::read(dir.path()).unwrap();
    assert_eq!(again, m);
    let ds = Dataset::open(dir.path()).unwrap();
    let back = read_all(&ds, ordered("train")).unwrap();
    assert_eq!(back.len(), 7);
    for (a, b) in clips().1.iter().zip(&back) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.duo, b.duo);
        // JSON floats parse back to within an ulp; everything else is exact.
        let strip = |m: &duologue_data::ClipMeta| duologue_data::ClipMeta {
            extra: serde_json::Value::Null,
            ..m.clone()
        };
        assert_eq!(strip(&a.meta), strip(&b.meta));
        assert_eq!(a.meta.extra["voice_specs"], b.meta.extra["voice_specs"]);
        // 16-bit PCM: within one quantisation step.
        assert!(a.audio.iter().zip(&b.audio).all(|(x, y)| (x - y).abs() <= 1.0 / 32767.0));
    }
    // Shards are reproducible: same clips, same bytes.
    let dir2 = tempfile::tempdir().unwrap();
    let m2 = write(dir2.path(), 3);
    assert_eq!(
        m.shards.iter().map(|s| &s.sha256).collect::<Vec<_>>(),
        m2.shards.iter().map(|s| &s.sha256).collect::<Vec<_>>()
    );
    // Writing into an existing dataset is refused.
    assert!(ShardWriter::create(dir.path(), header(), 3).is_err());
}

#[test]
fn shuffle_is_seeded_and_ranks_partition_the_data() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), 2); // 4 shards
    let ds = Dataset::open(dir.path()).unwrap();
    let keys = |cfg: StreamConfig| read_all(&ds, cfg).unwrap().into_iter().map(|c| c.key).collect::<Vec<_>>();
    let cfg = |seed, epoch, rank, world| StreamConfig {
        buffer: 4,
        epoch,
        rank,
        world,
        ..StreamConfig::train("train", seed)
    };
    assert_eq!(keys(cfg(1, 0, 0, 1)), keys(cfg(1, 0, 0, 1)));
    assert_ne!(keys(cfg(1, 0, 0, 1)), keys(cfg(1, 1, 0, 1)), "epochs reshuffle");
    let all: BTreeSet<String> = clips().1.iter().map(|c| c.key.clone()).collect();
    for world in [2, 3, 5, 8] {
        let mut seen = BTreeSet::new();
        let mut total = 0;
        for rank in 0..world {
            let k = keys(cfg(9, 0, rank, world));
            total += k.len();
            seen.extend(k);
        }
        assert_eq!(total, 7, "world {world}: every clip exactly once");
        assert_eq!(seen, all);
    }
}

#[test]
fn corrupted_or_truncated_shards_are_errors_naming_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let m = write(dir.path(), 3);
    let file = dir.path().join(&m.shards[1].file);
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[2000] ^= 0x55;
    std::fs::write(&file, &bytes).unwrap();
    let ds = Dataset::open(dir.path()).unwrap();
    let err = read_all(&ds, ordered("train")).unwrap_err().to_string();
    assert!(err.contains(&m.shards[1].file) && err.contains("sha256"), "{err}");
    // Skip-and-count on request: the other two shards still read.
    let mut s = ds.stream(StreamConfig { on_error: OnError::Skip, ..ordered("train") }).unwrap();
    let n = s.by_ref().filter(|c| c.is_ok()).count();
    assert_eq!(n, 7 - m.shards[1].clips);
    assert_eq!(s.skipped(), m.shards[1].clips);
    // Truncation.
    std::fs::write(&file, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_all(&ds, ordered("train")).unwrap_err().to_string();
    assert!(err.contains(&m.shards[1].file) && err.contains("truncated"), "{err}");
}

#[test]
fn a_clip_with_wrong_shapes_is_named() {
    // A well-formed shard (checksum matches) whose second clip has x_B of the wrong width.
    let dir = tempfile::tempdir().unwrap();
    let mut tarb = tar::Builder::new(Vec::new());
    for (i, c) in clips().1.iter().take(2).enumerate() {
        for (suffix, mut data) in c.to_members().unwrap() {
            if i == 1 && suffix == "x_B.npy" {
                let l = c.frames();
                data = duologue_params::npy::write(&duologue_params::npy::Array::new(
                    vec![l, 77],
                    vec![0.0; l * 77],
                ));
            }
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            tarb.append_data(&mut h, format!("{}.{suffix}", c.key), data.as_slice()).unwrap();
        }
    }
    let bytes = tarb.into_inner().unwrap();
    std::fs::write(dir.path().join("train-00000.tar"), &bytes).unwrap();
    let m = Manifest {
        header: header(),
        shards: vec![ShardEntry {
            kind: "shard".into(),
            file: "train-00000.tar".into(),
            split: "train".into(),
            clips: 2,
            seconds: 6.0,
            bytes: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        }],
    };
    m.write(dir.path()).unwrap();
    let ds = Dataset::open(dir.path()).unwrap();
    let err = read_all(&ds, ordered("train")).unwrap_err().to_string();
    let key = &clips().1[1].key;
    assert!(err.contains("train-00000.tar") && err.contains(key.as_str()) && err.contains("x_B"), "{err}");
    let mut s = ds.stream(StreamConfig { on_error: OnError::Skip, ..ordered("train") }).unwrap();
    assert_eq!(s.by_ref().filter(|c| c.is_ok()).count(), 1);
    assert_eq!(s.skipped(), 1);
}

#[test]
fn stats_and_dubbing_have_exact_masks() {
    let dir = tempfile::tempdir().unwrap();
    let mono = dir.path().join("mono");
    let (sim, _) = clips();
    let mut w = ShardWriter::create(&mono, header(), 8).unwrap();
    for i in 0..4 {
        w.add(&sim.monologue(2, i).unwrap()).unwrap();
    }
    w.finish().unwrap();
    let ds = Dataset::open(&mono).unwrap();
    let (sources, skipped) = sources_from_dataset(&ds, OnError::Fail).unwrap();
    assert_eq!((sources.len(), skipped), (4, 0));
    let cfg = DubConfig { frames: 60, ..Default::default() };
    let layouts = duologue_layout::Library::builtin();
    let mut made = 0;
    for t in 0..20 {
        let mut rng = Rng::new(t);
        let Some(c) = dub_clip(&mut rng, &sources, &layouts, &cfg, format!("d{t}")) else { continue };
        made += 1;
        c.validate("dub").unwrap();
        assert!(!c.meta.gaze_reliable && c.meta.lip_reliable);
        assert_ne!(c.meta.voice_units[0], c.meta.voice_units[1]);
        // Where nobody is audible (both muted), the mixed audio is silent.
        let spans: Vec<Vec<(f32, f32)>> = serde_json::from_value(c.meta.extra["stretches"].clone()).unwrap();
        for k in 0..c.frames() {
            let t0 = k as f32 / 25.0;
            let t1 = t0 + 0.04;
            let audible = |s: &Vec<(f32, f32)>| s.iter().any(|&(a, b)| a < t1 && b > t0);
            if !audible(&spans[0]) && !audible(&spans[1]) {
                assert!(
                    c.audio[k * 640..(k + 1) * 640].iter().all(|v| *v == 0.0),
                    "frame {k} muted but not silent"
                );
                assert_eq!((c.duo.a.mask[k], c.duo.b.mask[k]), (0.0, 0.0));
            }
        }
        let mut s = Stats::default();
        s.add(&c);
        assert!(s.speaking_ratio > 0.0);
    }
    assert!(made >= 10, "{made}");
    let st = Stats::of_dataset(&ds, OnError::Fail, |_, _| {}).unwrap();
    assert_eq!(st.clips, 4);
    assert!(st.overlap_ratio == 0.0, "monologues never overlap");
    assert!(st.mask_agreement > 0.8, "{}", st.mask_agreement);
}

/// `dir/NAME.wav` + `dir/NAME.npz` per single-speaker clip (a plain folder of sources for
/// `duologue dub`), voice `voice{i}`, identity `identity(i)`.
fn plain_sources(dir: &Path, n: u64, identity: impl Fn(u64) -> String) {
    std::fs::create_dir_all(dir).unwrap();
    let (sim, _) = clips();
    for i in 0..n {
        let c = sim.monologue(2, i).unwrap();
        let name = format!("s{i}");
        std::fs::write(dir.join(format!("{name}.wav")), duologue_data::wav::encode_pcm16(&c.audio, 16_000))
            .unwrap();
        let mut npz = duologue_params::Npz::new();
        let x = c.duo.a.x.as_slice().to_vec();
        npz.insert("x".into(), duologue_params::npy::Array::new(vec![x.len() / 78, 78], x));
        npz.insert("beta".into(), duologue_params::npy::Array::new(vec![50], c.duo.a.beta.clone()));
        duologue_params::write_npz(&dir.join(format!("{name}.npz")), &npz).unwrap();
        let meta = serde_json::json!({ "voice": format!("voice{i}"), "identity": identity(i) });
        std::fs::write(dir.join(format!("{name}.json")), meta.to_string()).unwrap();
    }
}

fn dub_job(sources: &Path, out: &Path, skip_bad: bool) -> duologue_data::make::DubJob {
    duologue_data::make::DubJob {
        sources: sources.to_path_buf(),
        clips: 3,
        out: out.to_path_buf(),
        seed: 1,
        config: DubConfig { frames: 60, ..Default::default() },
        clips_per_shard: 8,
        holdout: 0.0,
        skip_bad,
        command: "test".into(),
    }
}

#[test]
fn dub_skips_bad_plain_sources_and_a_failed_dub_leaves_no_folder() {
    // issue 21: `dub --skip-bad` still stopped on a bad source of a plain folder, and a failed
    // dub left a dataset folder holding only a manifest.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    plain_sources(&src, 3, |i| format!("face{i}"));
    std::fs::write(src.join("broken.npz"), b"not a zip").unwrap();
    std::fs::write(src.join("broken.wav"), b"RIFF").unwrap();
    let out = dir.path().join("dubbed");
    let err = duologue_data::make::dub_dataset(&dub_job(&src, &out, false), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("broken"), "{err}");
    assert!(!out.exists(), "refused before any folder");
    let made = duologue_data::make::dub_dataset(&dub_job(&src, &out, true), &mut |_| {}).unwrap();
    assert_eq!((made.sources, made.skipped), (3, 1));
    assert_eq!(Dataset::open(&out).unwrap().manifest.shards.iter().map(|s| s.clips).sum::<usize>(), 3);
    // Sources of one face can never make a pair: the dub fails after its tries, and the
    // folder it created is gone again (no manifest of no shards).
    let same = dir.path().join("same");
    plain_sources(&same, 2, |_| "one face".into());
    let out = dir.path().join("never");
    let err = duologue_data::make::dub_dataset(&dub_job(&same, &out, false), &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("different voices"), "{err}");
    assert!(!out.exists(), "{:?}", std::fs::read_dir(&out).map(|d| d.count()));
}

#[test]
fn dubbed_clips_are_augmented_and_say_how() {
    use duologue_data::channel::ChannelOdds;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    plain_sources(&src, 3, |i| format!("face{i}"));
    let out = dir.path().join("dubbed");
    let mut job = dub_job(&src, &out, false);
    job.config.room = (1.0, 1.0);
    job.config.channel =
        ChannelOdds { p_colour: 1.0, p_telephone: 0.5, p_codec: 1.0, level_dbfs: (-20.0, -10.0) };
    duologue_data::make::dub_dataset(&job, &mut |_| {})
        .expect("ffmpeg with libmp3lame and libopus (scripts/setup.sh)");
    let ds = Dataset::open(&out).unwrap();
    let mut cfg = duologue_data::StreamConfig::train("train", 0);
    cfg.shuffle = false;
    let mut seen = 0;
    for c in ds.stream(cfg).unwrap() {
        let c = c.unwrap();
        let extra = &c.meta.extra;
        assert!(extra["acoustics"]["rt60"].as_f64().unwrap() > 0.0, "{extra}");
        assert!(extra["acoustics"]["snr_db"].is_number(), "{extra}");
        assert!(extra["channel"]["colour"].is_object(), "{extra}");
        let want = extra["channel"]["peak_dbfs"].as_f64().unwrap() as f32;
        assert!((-20.0..=-10.0).contains(&want));
        let peak = c.audio.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        // Stored as 16-bit PCM: within a quantisation step of the drawn level.
        assert!((20.0 * peak.log10() - want).abs() < 0.05, "peak {peak} vs {want} dBFS");
        assert!(extra["sources"].is_array(), "the dub's own record stays: {extra}");
        seen += 1;
    }
    assert_eq!(seen, 3);
}
