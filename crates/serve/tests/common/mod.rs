//! Shared by the server tests: real result files, a real server on 127.0.0.1.

#![allow(dead_code)]

use duologue_params::{Duo, Person, X_DIM};
use duologue_serve::{library, App, Library};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Two people face to face 1 m apart, turned to each other; `talker` (0: A, 1: B) opens and
/// closes the jaw about twice a second and has the speaker mask.
pub fn conversation(frames: usize, talker: usize) -> Duo {
    let mut people = [Person::neutral(frames, [0.0, 0.0, -0.5]), Person::neutral(frames, [0.0, 0.0, 0.5])];
    for (i, p) in people.iter_mut().enumerate() {
        let mut x = vec![0.0f32; frames * X_DIM];
        for k in 0..frames {
            let t = k as f32 / 25.0;
            if i == talker {
                x[k * X_DIM] = (t * 12.0).sin().max(0.0) * 1.5; // jaw_open
            }
            if i == 0 {
                x[k * X_DIM + 64] = std::f32::consts::PI; // neck yaw: A turns to face +Z
            }
        }
        p.x = duologue_params::Motion::from_vec(x).unwrap();
        p.mask = vec![if i == talker { 1.0 } else { 0.0 }; frames];
    }
    let [a, b] = people;
    Duo { a, b, fps: 25.0 }
}

/// A real recording from the audio crate's fixtures.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../audio/tests/fixtures").join(name)
}

/// Writes `duo` as `dir/name` and loads it back as the server would.
pub fn result_file(dir: &Path, name: &str, duo: &Duo) -> PathBuf {
    let path = dir.join(name);
    duo.write(&path).unwrap();
    path
}

/// A `duologue view` server for these results (the first with `audio`) on a free port, in a
/// background thread; its address.
pub fn view_server(results: &[PathBuf], audio: Option<PathBuf>) -> SocketAddr {
    let mut lib = Library::new();
    for (i, p) in results.iter().enumerate() {
        lib.insert(library::load(p, if i == 0 { audio.clone() } else { None }).unwrap());
    }
    start(App { library: Arc::new(RwLock::new(lib)), jobs: None })
}

/// Serves `app` on a free port of 127.0.0.1 in a background thread; its address.
pub fn start(app: App) -> SocketAddr {
    let (listener, addr) = duologue_serve::bind(SocketAddr::from(([127, 0, 0, 1], 0))).unwrap();
    std::thread::spawn(move || duologue_serve::run(listener, app, std::future::pending()).unwrap());
    addr
}
