//! `duologue view RESULT.npz|.glb [MORE...] [--audio A] [--port N]`: a page on 127.0.0.1 that
//! plays both animated heads of each result with its recording (crates/serve).

use anyhow::{Context, Result};
use duologue_serve::{library, App, Library};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Arguments of `duologue view`.
#[derive(clap::Args)]
pub struct Args {
    /// Results to show (.npz written by generate, or an exported .glb; a second one can be
    /// compared side by side: a model against the ground truth, or two models).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// The recording of the first result (default: a file with its stem beside it, e.g.
    /// talk.wav next to talk.npz).
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// Port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 8765)]
    pub port: u16,
    /// Do not try to open the page in a browser.
    #[arg(long)]
    pub no_open: bool,
}

/// The results as a library (the first with `audio`, if given).
pub fn load_all(paths: &[PathBuf], audio: Option<PathBuf>) -> Result<Library> {
    if let Some(a) = &audio {
        anyhow::ensure!(a.is_file(), "{}: audio file not found", a.display());
    }
    let mut lib = Library::new();
    for (i, path) in paths.iter().enumerate() {
        anyhow::ensure!(path.is_file(), "{}: file not found", path.display());
        let entry = library::load(path, if i == 0 { audio.clone() } else { None })?;
        for w in &entry.warnings {
            eprintln!("warning: {w}");
        }
        lib.insert(entry);
    }
    Ok(lib)
}

/// Serves `app` on `addr`, printing the URL, until Ctrl-C.
pub fn serve_until_ctrl_c(app: App, addr: SocketAddr, open: bool, what: &str) -> Result<()> {
    let (listener, local) = duologue_serve::bind(addr).with_context(|| {
        format!("cannot listen on {addr} (is another server using the port? --port 0 picks a free one)")
    })?;
    let url = format!("http://{local}/");
    println!("duologue {what}: {url} (Ctrl-C to stop)");
    if open {
        open_browser(&url);
    }
    duologue_serve::run(listener, app, duologue_serve::ctrl_c()).context("the server stopped")?;
    Ok(())
}

/// Opens `url` in the desktop's browser when there is a desktop; says so when not.
fn open_browser(url: &str) {
    let desktop = cfg!(target_os = "macos")
        || cfg!(windows)
        || std::env::var_os("DISPLAY").is_some()
        || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !desktop {
        return;
    }
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_err()
    {
        eprintln!("could not start {opener}: open {url} in a browser");
    }
}

pub fn run(args: Args) -> Result<()> {
    let library = load_all(&args.results, args.audio.clone())?;
    for e in library.entries() {
        let audio = e.audio.as_ref().map_or("no audio".to_string(), |a| format!("audio {}", a.display()));
        eprintln!("{}: {} ({} frames, {audio})", e.id, e.name, e.meta["frames"]);
    }
    let app = App { library: Arc::new(RwLock::new(library)), jobs: None };
    serve_until_ctrl_c(app, SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)), !args.no_open, "view")
}
