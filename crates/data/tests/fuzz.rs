//! Fuzz harnesses of datasets (issue 21; README "Reliability"): tar shards damaged and then
//! re-listed with a matching size and sha256 (so the damage reaches the tar and clip parsers
//! instead of stopping at the checksum), and damaged manifests. Zero panics; errors name the
//! shard or the manifest; what reads is a valid clip. Cases: `DUOLOGUE_FUZZ_CASES` (CI: 200).

use duologue_data::shard::{read_shard, sha256_hex, DatasetHeader};
use duologue_data::{Dataset, Manifest, OnError, ShardWriter, SimConfig, Simulator};
use duologue_params::fuzz::run;

/// A real dataset of two simulated clips in one shard, in `dir`.
fn dataset(dir: &std::path::Path) -> Manifest {
    let sim = Simulator::new(SimConfig { seconds: 2.0, ..Default::default() }, 0, 100, 0.0, 0.0)
        .expect("espeak-ng installed (scripts/setup.sh)");
    let header = DatasetHeader::new("simulated", sim.plan().clone(), serde_json::Value::Null);
    let mut w = ShardWriter::create(dir, header, 8).unwrap();
    for i in 0..2 {
        let mut c = sim.clip(5, i).unwrap();
        c.meta.split = "train".into();
        w.add(&c).unwrap();
    }
    w.finish().unwrap()
}

#[test]
fn damaged_shards_never_panic_and_errors_name_the_shard() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dataset(dir.path());
    let entry = manifest.shards[0].clone();
    let valid = std::fs::read(dir.path().join(&entry.file)).unwrap();
    run(
        "shard",
        41,
        |m| m.mutate(&valid),
        |bytes| {
            std::fs::write(dir.path().join(&entry.file), bytes).unwrap();
            let mut e = entry.clone();
            e.bytes = bytes.len() as u64;
            e.sha256 = sha256_hex(bytes);
            let strict = read_shard(dir.path(), &e, OnError::Fail);
            let (clips, _) =
                read_shard(dir.path(), &e, OnError::Skip).map_err(|err| err.to_string()).or_else(|err| {
                    if err.contains(&entry.file) {
                        Ok((Vec::new(), 0))
                    } else {
                        Err(format!("unnamed: {err}"))
                    }
                })?;
            if let Err(err) = &strict {
                if !err.to_string().contains(&entry.file) {
                    return Err(format!("error does not name the shard: {err}"));
                }
            }
            for c in &clips {
                c.validate("fuzz").map_err(|e| format!("an invalid clip was read: {e}"))?;
            }
            Ok(strict.is_ok())
        },
    );
}

#[test]
fn damaged_manifests_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path());
    let path = dir.path().join(duologue_data::shard::MANIFEST);
    let valid = std::fs::read(&path).unwrap();
    run(
        "manifest",
        42,
        |m| m.mutate(&valid),
        |bytes| {
            std::fs::write(&path, bytes).unwrap();
            match Dataset::open(dir.path()) {
                Ok(ds) => {
                    // A manifest that parses still cannot make the reader trust a damaged
                    // listing: streaming checks every shard against it.
                    for split in ["train", "val", "test"] {
                        if let Ok(stream) = ds.stream(duologue_data::StreamConfig::train(split, 0)) {
                            for c in stream {
                                if let Err(e) = c {
                                    let _ = e.to_string();
                                    break;
                                }
                            }
                        }
                    }
                    Ok(true)
                }
                Err(e) if e.to_string().contains("manifest") => Ok(false),
                Err(e) => Err(format!("error does not name the manifest: {e}")),
            }
        },
    );
}
