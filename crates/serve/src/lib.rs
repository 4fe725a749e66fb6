//! duologue in the browser.
//!
//! - `duologue view RESULT.npz|.glb [...]`: a page on 127.0.0.1 that plays both animated heads
//!   of each result (the project's own .glb in three.js, bundled: nothing from a CDN) in sync
//!   with the recording — the preview's camera presets, an orbit camera, the speaker masks on a
//!   scrubbable timeline, gaze rays, two results side by side.
//! - `duologue serve`: the same page plus an HTTP API ([`jobs`]): upload a recording, follow
//!   the job, fetch its files; one model loaded once, a bounded queue, bounded uploads.
//!
//! The API (every error is `{"error": "..."}` with its status):
//!
//! | request | answer |
//! |---|---|
//! | `GET /api/info` | mode (`view` / `serve`), version, model, limits |
//! | `GET /api/results` | `{results: [{id, name, frames, fps, audio}]}` |
//! | `GET /api/results/{id}/meta`, `/glb`, `/audio` | timeline data, the glTF binary, the recording |
//! | `POST /api/jobs?layout=&seed=&steps=&formats=&camera=&name=` (body: the audio file) | 202 and the job; 400 empty or not audio, 413 too large or too long, 429 queue full |
//! | `GET /api/jobs`, `GET /api/jobs/{id}` | state (`queued` `running` `done` `failed` `cancelled`), stage, progress 0..1, error, files, result id |
//! | `GET /api/jobs/{id}/files/{name}` | one of the job's files (npz, glb, ARKit CSV, mp4) |
//! | `DELETE /api/jobs/{id}` | cancels (a running job stops at its next stage or window); 409 once finished |
#![deny(missing_docs)]

mod api;
mod error;
pub mod jobs;
pub mod library;

pub use api::{router, App};
pub use error::{ApiError, ServeError};
pub use jobs::{JobState, Jobs, Limits};
pub use library::{Entry, Library};

use std::future::Future;
use std::net::SocketAddr;

/// Binds `addr` (port 0: any free port); the listener and the address it got.
pub fn bind(addr: SocketAddr) -> std::io::Result<(std::net::TcpListener, SocketAddr)> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    let local = listener.local_addr()?;
    Ok((listener, local))
}

/// Serves `app` on `listener` until `shutdown` completes (in a runtime of its own, so callers
/// stay synchronous).
pub fn run(
    listener: std::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        axum::serve(listener, router(app)).with_graceful_shutdown(shutdown).await
    })
}

/// Completes on Ctrl-C (never, if the signal cannot be watched: the server then stops with its
/// process).
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
