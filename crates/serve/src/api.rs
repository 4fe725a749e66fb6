//! The HTTP routes: the page and its bundled assets, the results, and (for `duologue serve`)
//! the jobs.

use crate::error::ApiError;
use crate::jobs::{CancelError, Jobs, Refusal, Request};
use crate::library::{mime, Library};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use duologue_audio::{AudioStream, ChannelMode};
use duologue_export::{Format, Shot};
use duologue_pipeline::LayoutSpec;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const INDEX_HTML: &str = include_str!("../web/index.html");
const APP_JS: &str = include_str!("../web/app.js");
const THREE_JS: &str = include_str!("../web/vendor/three.js");
const THREE_LICENSE: &str = include_str!("../web/vendor/LICENSE-three.txt");

/// What the server serves: the results, and the jobs when it takes uploads.
#[derive(Clone, Debug)]
pub struct App {
    /// The results the page lists.
    pub library: Arc<RwLock<Library>>,
    /// `duologue serve`'s queue and worker; None for `duologue view`.
    pub jobs: Option<Arc<Jobs>>,
}

type Shared = State<App>;

/// Every route of the page and the API.
pub fn router(app: App) -> Router {
    let upload_limit = app.jobs.as_ref().map_or(0, |j| j.limits().max_upload_bytes);
    let text = |body: &'static str, kind: &'static str| {
        move || async move { ([(header::CONTENT_TYPE, kind)], body) }
    };
    Router::new()
        .route("/", get(text(INDEX_HTML, "text/html; charset=utf-8")))
        .route("/index.html", get(text(INDEX_HTML, "text/html; charset=utf-8")))
        .route("/app.js", get(text(APP_JS, "text/javascript; charset=utf-8")))
        .route("/vendor/three.js", get(text(THREE_JS, "text/javascript; charset=utf-8")))
        .route("/vendor/LICENSE-three.txt", get(text(THREE_LICENSE, "text/plain; charset=utf-8")))
        .route("/api/info", get(info))
        .route("/api/results", get(results))
        .route("/api/results/{id}/meta", get(result_meta))
        .route("/api/results/{id}/glb", get(result_glb))
        .route("/api/results/{id}/audio", get(result_audio))
        .route("/api/jobs", get(list_jobs).post(submit).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/api/jobs/{id}", get(job_status).delete(cancel))
        .route("/api/jobs/{id}/files/{name}", get(job_file))
        .fallback(|| async { ApiError::not_found("such page") })
        .with_state(app)
}

async fn info(State(app): Shared) -> Json<Value> {
    let mode = if app.jobs.is_some() { "serve" } else { "view" };
    let mut v = json!({ "mode": mode, "version": env!("CARGO_PKG_VERSION") });
    if let Some(j) = &app.jobs {
        let l = j.limits();
        v["model"] = json!(j.model);
        v["limits"] =
            json!({ "max_upload_bytes": l.max_upload_bytes, "max_seconds": l.max_seconds, "queue": l.queue });
    }
    Json(v)
}

fn library(app: &App) -> std::sync::RwLockReadGuard<'_, Library> {
    app.library.read().unwrap_or_else(|p| p.into_inner())
}

async fn results(State(app): Shared) -> Json<Value> {
    let list: Vec<Value> = library(&app).entries().iter().map(|e| e.summary()).collect();
    Json(json!({ "results": list }))
}

fn entry(app: &App, id: &str) -> Result<crate::Entry, ApiError> {
    library(app).get(id).cloned().ok_or_else(|| ApiError::not_found(format!("result {id:?}")))
}

async fn result_meta(State(app): Shared, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let e = entry(&app, &id)?;
    let mut meta = e.meta.clone();
    meta["name"] = json!(e.name);
    Ok(Json(meta))
}

async fn result_glb(State(app): Shared, Path(id): Path<String>) -> Result<Response, ApiError> {
    let e = entry(&app, &id)?;
    Ok(([(header::CONTENT_TYPE, "model/gltf-binary")], Body::from(e.glb.as_ref().clone())).into_response())
}

async fn result_audio(State(app): Shared, Path(id): Path<String>) -> Result<Response, ApiError> {
    let e = entry(&app, &id)?;
    let path = e.audio.ok_or_else(|| ApiError::not_found(format!("recording for result {id:?}")))?;
    send_file(path, None).await
}

/// A file from disk, with its MIME type (as an attachment when `download` names it).
async fn send_file(path: std::path::PathBuf, download: Option<&str>) -> Result<Response, ApiError> {
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("{}: {e}", path.display())))?;
    let mut res = ([(header::CONTENT_TYPE, mime(&path))], Body::from(bytes)).into_response();
    if let Some(name) = download {
        let value = format!("attachment; filename=\"{}\"", name.replace('"', ""));
        if let Ok(v) = header::HeaderValue::from_str(&value) {
            res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(res)
}

fn jobs(app: &App) -> Result<&Arc<Jobs>, ApiError> {
    app.jobs.as_ref().ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "this is `duologue view`: jobs need `duologue serve`")
    })
}

async fn list_jobs(State(app): Shared) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({ "jobs": jobs(&app)?.list() })))
}

async fn job_status(State(app): Shared, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    jobs(&app)?.status(&id).map(Json).ok_or_else(|| ApiError::not_found(format!("job {id:?}")))
}

async fn job_file(
    State(app): Shared,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let path = jobs(&app)?
        .file(&id, &name)
        .ok_or_else(|| ApiError::not_found(format!("file {name:?} in job {id:?}")))?;
    send_file(path, Some(&name)).await
}

async fn cancel(State(app): Shared, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    jobs(&app)?.cancel(&id).map(Json).map_err(|e| match e {
        CancelError::Unknown => ApiError::not_found(format!("job {id:?}")),
        CancelError::Finished(s) => {
            ApiError::new(StatusCode::CONFLICT, format!("job {id:?} has already finished ({})", s.name()))
        }
    })
}

/// The query of `POST /api/jobs`.
#[derive(Debug, Deserialize)]
struct Submit {
    layout: Option<String>,
    preset: Option<String>,
    seed: Option<u64>,
    steps: Option<usize>,
    formats: Option<String>,
    camera: Option<String>,
    name: Option<String>,
}

/// A name safe as a file stem: letters, digits, `-` and `_` of the upload's stem.
fn safe_stem(name: Option<&str>) -> String {
    let stem = name
        .map(|n| {
            std::path::Path::new(n).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
        })
        .unwrap_or_default();
    let clean: String =
        stem.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').take(64).collect();
    if clean.is_empty() {
        "upload".to_string()
    } else {
        clean
    }
}

fn parse_request(q: &Submit) -> Result<(Vec<Format>, Shot, LayoutSpec), ApiError> {
    let formats = match q.formats.as_deref().map(str::trim) {
        None => vec![Format::Glb, Format::ArkitCsv, Format::Mp4],
        Some("") | Some("none") => Vec::new(),
        Some(list) => list
            .split(',')
            .map(|f| {
                <Format as clap::ValueEnum>::from_str(f.trim(), true).map_err(|_| {
                    ApiError::bad_request(format!(
                        "unknown format {f:?}; use glb, arkit-csv, arkit-json, mp4, png"
                    ))
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let camera = match &q.camera {
        Some(c) => c.parse::<Shot>().map_err(ApiError::bad_request)?,
        None => Shot::Auto,
    };
    let layout = match (&q.preset, q.layout.as_deref().map(str::trim)) {
        (Some(p), _) => LayoutSpec::Preset(p.clone()),
        (None, Some(text)) if !text.is_empty() => LayoutSpec::Text(text.to_string()),
        _ => LayoutSpec::Default,
    };
    if let LayoutSpec::Preset(_) = layout {
        duologue_pipeline::resolve_layout(&layout, None)
            .map_err(|e| ApiError::bad_request(crate::jobs::error_chain(&e)))?;
    }
    if q.steps == Some(0) {
        return Err(ApiError::bad_request("steps must be at least 1"));
    }
    Ok((formats, camera, layout))
}

async fn submit(
    State(app): Shared,
    Query(query): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let jobs = jobs(&app)?.clone();
    let limits = jobs.limits().clone();
    let body = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "upload is larger than this server's {} MB limit",
                    limits.max_upload_bytes as f64 / (1 << 20) as f64
                ),
            )
        } else {
            ApiError::bad_request(format!("could not read the upload: {r}"))
        }
    })?;
    let q: Submit = serde_json::from_value(json!(query
        .iter()
        .map(|(k, v)| {
            let v = match k.as_str() {
                "seed" | "steps" => v.parse::<u64>().map(Value::from).unwrap_or_else(|_| json!(v)),
                _ => json!(v),
            };
            (k.clone(), v)
        })
        .collect::<serde_json::Map<_, _>>()))
    .map_err(|e| ApiError::bad_request(format!("bad query: {e} (seed and steps are whole numbers)")))?;
    if body.is_empty() {
        return Err(ApiError::bad_request("empty upload: send the recording's bytes as the request body"));
    }
    let (formats, camera, layout) = parse_request(&q)?;
    let name = safe_stem(q.name.as_deref());
    let ext = q
        .name
        .as_deref()
        .and_then(|n| std::path::Path::new(n).extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .filter(|e| e.len() <= 5 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or_else(|| "audio".into());
    let (id, dir) = jobs.reserve().map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot make the job's folder: {e}"))
    })?;
    let audio = dir.join(format!("{name}.{ext}"));
    // Write and check the upload off the async threads: is it audio, and how long?
    let checked = {
        let audio = audio.clone();
        tokio::task::spawn_blocking(move || check_upload(&audio, &body, limits.max_seconds)).await
    };
    let checked =
        checked.unwrap_or_else(|e| Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())));
    if let Err(e) = checked {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    let request = Request { name, audio, layout, seed: q.seed.unwrap_or(0), steps: q.steps, formats, camera };
    match jobs.submit(id, request) {
        Ok(job) => Ok((StatusCode::ACCEPTED, Json(job))),
        Err(refusal) => {
            let _ = std::fs::remove_dir_all(&dir);
            Err(match refusal {
                Refusal::QueueFull(n) => ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!("{n} jobs are already waiting; try again when one has finished"),
                ),
                Refusal::WorkerGone => {
                    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the model worker has stopped")
                }
            })
        }
    }
}

/// Writes the upload and opens it as audio: 400 when it is not audio, 413 when it says it is
/// longer than `max_seconds`.
fn check_upload(path: &std::path::Path, bytes: &[u8], max_seconds: f64) -> Result<(), ApiError> {
    std::fs::write(path, bytes).map_err(|e| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("cannot store the upload: {e}"))
    })?;
    let not_audio = |e: &dyn std::fmt::Display| {
        let why = e.to_string();
        let why = why.rsplit_once(": ").map_or(why.as_str(), |(_, w)| w).to_string();
        ApiError::bad_request(format!("the upload is not audio this server can decode ({why})"))
    };
    let mut stream = AudioStream::open(path, ChannelMode::Mix).map_err(|e| not_audio(&e))?;
    if let Some(s) = stream.info().seconds().filter(|&s| s > max_seconds) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the recording is {s:.0} s long; this server takes at most {max_seconds:.0} s"),
        ));
    }
    match stream.next_chunk() {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ApiError::bad_request("the upload holds no audio samples")),
        Err(e) => Err(not_audio(&e)),
    }
}
