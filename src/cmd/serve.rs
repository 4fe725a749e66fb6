//! `duologue serve [--addr 127.0.0.1:8080]`: the viewer page plus an HTTP API — upload a
//! recording, follow the job, fetch its files (crates/serve; the API is in its docs).

use anyhow::Result;
use duologue_serve::{App, Jobs, Library, Limits};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Arguments of `duologue serve`.
#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (port 0: any free one). Anything but 127.0.0.1 lets other machines
    /// in: there is no authentication.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// A checkpoint instead of the built-in model (loaded once, at start).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Folder for uploads and results, one subfolder per job (default: duologue-serve in the
    /// system temporary folder); existing folders are never reused.
    #[arg(long)]
    pub work: Option<PathBuf>,
    /// Jobs that may wait while one runs; more get 429.
    #[arg(long, default_value_t = Limits::default().queue, value_parser = super::at_least_one)]
    pub queue: usize,
    /// Largest upload in MB; larger ones get 413.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_upload_mb: u64,
    /// Longest recording in minutes; longer ones get 413.
    #[arg(long, default_value_t = 10.0)]
    pub max_minutes: f64,
    /// Results to list from the start (.npz or .glb).
    pub results: Vec<PathBuf>,
    /// Do not try to open the page in a browser.
    #[arg(long)]
    pub no_open: bool,
}

pub fn run(args: Args) -> Result<()> {
    anyhow::ensure!(
        args.max_minutes.is_finite() && args.max_minutes > 0.0,
        "--max-minutes must be a positive number of minutes"
    );
    let library =
        if args.results.is_empty() { Library::new() } else { super::view::load_all(&args.results, None)? };
    let library = Arc::new(RwLock::new(library));
    let limits = Limits {
        max_upload_bytes: (args.max_upload_mb << 20) as usize,
        max_seconds: args.max_minutes * 60.0,
        queue: args.queue,
    };
    let work = args.work.unwrap_or_else(|| std::env::temp_dir().join("duologue-serve"));
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "warning: listening on {} lets other machines submit jobs; there is no authentication",
            args.addr
        );
    }
    eprintln!("loading the model...");
    let jobs = Jobs::start(args.model, work.clone(), limits, library.clone())?;
    eprintln!("model: {}; jobs in {}", jobs.model, work.display());
    let app = App { library, jobs: Some(jobs) };
    super::view::serve_until_ctrl_c(app, args.addr, !args.no_open, "serve")
}
