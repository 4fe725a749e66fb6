//! Simulator throughput (DESIGN.md §6, datasets): clips per second with 1 and 2 worker threads,
//! bytes per hour of data, and the projected time for a 50-hour corpus.
//! Run: `cargo bench -p duologue-data --bench simulate` (release profile).

use duologue_data::shard::DatasetHeader;
use duologue_data::{ShardWriter, SimConfig, Simulator};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn main() {
    let n: u64 = std::env::var("SIM_BENCH_CLIPS").ok().and_then(|s| s.parse().ok()).unwrap_or(24);
    for (label, p) in [("dry", 0.0f32), ("noise+reverb 50%", 0.5)] {
        let cfg = SimConfig { seconds: 10.0, p_reverb: p, p_noise: p, ..Default::default() };
        let sim = Simulator::new(cfg, 0, 2000, 0.05, 0.05).expect("espeak-ng installed");
        sim.clip(99, 0).expect("warm-up clip");
        for threads in [1usize, 2] {
            let next = AtomicU64::new(0);
            let t = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            break;
                        }
                        sim.clip(1, i).expect("clip");
                    });
                }
            });
            let secs = t.elapsed().as_secs_f64();
            let cps = n as f64 / secs;
            let hours_per_hour = cps * 10.0;
            println!(
                "{label:>18}, {threads} thread(s): {cps:.2} clips/s ({:.0}x real time); 50 h corpus (18,000 clips) in {:.2} h",
                hours_per_hour,
                18_000.0 / cps / 3600.0
            );
        }
        // Bytes per hour: write the clips as shards and measure.
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shards");
        let mut w = ShardWriter::create(
            &dir,
            DatasetHeader::new("simulated", sim.plan().clone(), serde_json::Value::Null),
            64,
        )
        .unwrap();
        for i in 0..n.min(16) {
            w.add(&sim.clip(1, i).unwrap()).unwrap();
        }
        let m = w.finish().unwrap();
        let bytes: u64 = m.shards.iter().map(|s| s.bytes).sum();
        let hours: f64 = m.shards.iter().map(|s| s.seconds).sum::<f64>() / 3600.0;
        println!(
            "{label:>18}: {:.1} MB per hour of data ({:.1} GB for 50 h)",
            bytes as f64 / hours / 1e6,
            bytes as f64 / hours * 50.0 / 1e9
        );
    }
}
