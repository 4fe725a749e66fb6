//! `duologue bench serve`: how `duologue serve` answers under load on this machine — a real
//! server on 127.0.0.1 (the built-in model or `--model`, loaded once), hit by `--concurrency`
//! clients: first `--requests` reads of the API (`/api/info`, `/api/results`), then `--jobs`
//! uploads of the demo recording followed to the end. Prints latency percentiles (submit,
//! end to end, the worker's own time, the wait in the queue), throughput and 429 refusals.

use anyhow::{bail, Context, Result};
use duologue_serve::{App, JobState, Jobs, Library, Limits};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Arguments of `duologue bench serve`.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// Reads of the API (half /api/info, half /api/results).
    #[arg(long, default_value_t = 400)]
    requests: usize,
    /// Uploads of the demo recording, each followed until it has finished.
    #[arg(long, default_value_t = 8)]
    jobs: usize,
    /// Clients at once.
    #[arg(long, default_value_t = 4, value_parser = super::at_least_one)]
    concurrency: usize,
    /// The server's queue (jobs waiting while one runs; a full queue answers 429 and the client
    /// retries after 100 ms).
    #[arg(long, default_value_t = Limits::default().queue, value_parser = super::at_least_one)]
    queue: usize,
    /// Exports of each job besides the .npz (the API's `formats`: none, or e.g. glb,mp4).
    #[arg(long, default_value = "glb")]
    formats: String,
    /// DDIM steps (default: the model's).
    #[arg(long, value_parser = super::at_least_one)]
    steps: Option<usize>,
    /// A checkpoint instead of the built-in model.
    #[arg(long)]
    model: Option<PathBuf>,
    /// Folder for the jobs, kept (default: a fresh one in the system temporary folder, removed
    /// at the end; jobs never reuse a folder that exists).
    #[arg(long)]
    work: Option<PathBuf>,
    /// Write the measurements as JSON here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Latency percentiles of one series, in the series' unit.
fn summary(mut v: Vec<f64>) -> Value {
    if v.is_empty() {
        return json!({ "n": 0 });
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    json!({ "n": v.len(), "p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": v[v.len() - 1] })
}

fn row(name: &str, unit: &str, s: &Value) {
    let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
    println!(
        "{name:<22} {:>5} {:>9.2} {:>9.2} {:>9.2} {:>9.2}  {unit}",
        s["n"].as_u64().unwrap_or(0),
        f("p50"),
        f("p95"),
        f("p99"),
        f("max")
    );
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(600)))
        .build()
        .into()
}

fn read_json(mut res: ureq::http::Response<ureq::Body>) -> Result<(u16, Value)> {
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string()?;
    Ok((status, serde_json::from_str(&text).with_context(|| format!("HTTP {status}: not JSON: {text}"))?))
}

/// `n` calls of `work(client, i)` spread over `c` threads; every call's result.
fn spread<T: Send>(
    n: usize,
    c: usize,
    work: impl Fn(&ureq::Agent, usize) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..c.min(n.max(1)))
            .map(|t| {
                let work = &work;
                s.spawn(move || {
                    let client = agent();
                    (t..n).step_by(c).map(|i| work(&client, i)).collect::<Result<Vec<T>>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(n);
        for h in handles {
            all.extend(h.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??);
        }
        Ok(all)
    })
}

struct JobTimes {
    submit_ms: f64,
    end_to_end_s: f64,
    service_s: f64,
    refused: usize,
}

pub fn run(args: ServeArgs) -> Result<()> {
    // Our own folder unless told otherwise, removed when the run ends, however it ends.
    let _scratch;
    let work = match &args.work {
        Some(w) => w.clone(),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("duologue-bench-serve-")
                .tempdir()
                .context("cannot make a temporary folder for the jobs")?;
            let path = dir.path().to_path_buf();
            _scratch = dir;
            path
        }
    };
    let library = Arc::new(RwLock::new(Library::new()));
    let limits = Limits { queue: args.queue, ..Limits::default() };
    let started = Instant::now();
    let jobs = Jobs::start(args.model.clone(), work.clone(), limits, library.clone())?;
    let load_s = started.elapsed().as_secs_f64();
    let model = jobs.model.clone();
    let (listener, addr) = duologue_serve::bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let app = App { library, jobs: Some(jobs) };
    // The server lives as long as this process.
    std::thread::spawn(move || duologue_serve::run(listener, app, std::future::pending()));
    eprintln!(
        "server on http://{addr}/ (model {model}, loaded in {load_s:.2} s; jobs in {})",
        work.display()
    );
    let base = format!("http://{addr}");

    // Reads of the API.
    let t = Instant::now();
    let reads = spread(args.requests, args.concurrency, |client, i| {
        let path = if i % 2 == 0 { "/api/info" } else { "/api/results" };
        let t = Instant::now();
        let (status, v) = read_json(client.get(format!("{base}{path}")).call()?)?;
        if status != 200 {
            bail!("GET {path}: HTTP {status}: {v}");
        }
        Ok(t.elapsed().as_secs_f64() * 1e3)
    })?;
    let reads_wall = t.elapsed().as_secs_f64();

    // Jobs, each uploaded and followed to its end.
    let clip = duologue_pipeline::DEMO_CLIP;
    let mut query = format!("name={}&formats={}", duologue_pipeline::DEMO_CLIP_NAME, args.formats);
    if let Some(s) = args.steps {
        query.push_str(&format!("&steps={s}"));
    }
    let t = Instant::now();
    let done = spread(args.jobs, args.concurrency, |client, i| {
        let started = Instant::now();
        let mut refused = 0;
        let (submit_ms, id) = loop {
            let t = Instant::now();
            let (status, v) =
                read_json(client.post(format!("{base}/api/jobs?{query}&seed={i}")).send(clip)?)?;
            match status {
                202 => break (t.elapsed().as_secs_f64() * 1e3, v["id"].as_str().unwrap_or("").to_string()),
                429 => {
                    refused += 1;
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => bail!("POST /api/jobs: HTTP {status}: {v}"),
            }
        };
        let end = loop {
            let (status, v) = read_json(client.get(format!("{base}/api/jobs/{id}")).call()?)?;
            if status != 200 {
                bail!("GET /api/jobs/{id}: HTTP {status}: {v}");
            }
            if v["state"].as_str().and_then(JobState::from_name).is_some_and(JobState::finished) {
                break v;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if end["state"] != "done" {
            bail!("job {id} ended {}: {}", end["state"], end["error"]);
        }
        Ok(JobTimes {
            submit_ms,
            end_to_end_s: started.elapsed().as_secs_f64(),
            service_s: end["seconds"].as_f64().unwrap_or(f64::NAN),
            refused,
        })
    })?;
    let jobs_wall = t.elapsed().as_secs_f64();

    let read_s = summary(reads);
    let submit = summary(done.iter().map(|j| j.submit_ms).collect());
    let e2e = summary(done.iter().map(|j| j.end_to_end_s).collect());
    let service = summary(done.iter().map(|j| j.service_s).collect());
    let wait = summary(done.iter().map(|j| (j.end_to_end_s - j.service_s).max(0.0)).collect());
    let refused: usize = done.iter().map(|j| j.refused).sum();
    println!(
        "{} clients at once, queue {}; uploads of {} ({} kB), formats {}",
        args.concurrency,
        args.queue,
        duologue_pipeline::DEMO_CLIP_NAME,
        clip.len() / 1000,
        args.formats
    );
    println!("{:<22} {:>5} {:>9} {:>9} {:>9} {:>9}", "", "n", "p50", "p95", "p99", "max");
    row("GET /api/info|results", "ms", &read_s);
    row("POST /api/jobs", "ms", &submit);
    row("job end to end", "s", &e2e);
    row("job in the worker", "s", &service);
    row("job waiting", "s", &wait);
    let rps = args.requests as f64 / reads_wall.max(1e-9);
    let per_min = done.len() as f64 * 60.0 / jobs_wall.max(1e-9);
    println!("reads: {rps:.0} requests/s; jobs: {per_min:.1} per minute; 429 refusals retried: {refused}");
    if let Some(path) = &args.out {
        let v = json!({
            "model": model, "load_seconds": load_s, "concurrency": args.concurrency, "queue": args.queue,
            "formats": args.formats, "steps": args.steps,
            "reads_ms": read_s, "reads_per_second": rps,
            "submit_ms": submit, "end_to_end_s": e2e, "worker_s": service, "wait_s": wait,
            "jobs_per_minute": per_min, "refused_429": refused,
        });
        std::fs::write(path, serde_json::to_string_pretty(&v)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
