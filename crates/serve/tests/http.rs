//! `duologue serve`'s HTTP API against a real server on 127.0.0.1 with the built-in model: real
//! recordings uploaded, jobs followed to their files, and every refusal a JSON error with its
//! status (413 too large or too long, 400 not audio or bad options, 429 queue full, 409 cancel
//! after the end, 404 unknown).

mod common;

use common::fixture;
use duologue_serve::{App, JobState, Jobs, Library, Limits};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// A `duologue serve` on a free port with `limits`, its jobs under `work`.
fn serve(work: &Path, limits: Limits) -> SocketAddr {
    let library = Arc::new(RwLock::new(Library::new()));
    let jobs = Jobs::start(None, work.to_path_buf(), limits, library.clone()).unwrap();
    common::start(App { library, jobs: Some(jobs) })
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn json(mut res: ureq::http::Response<ureq::Body>) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.body_mut().read_to_string().unwrap();
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("HTTP {status} is not JSON ({e}): {text}"));
    (status, v)
}

fn get(addr: SocketAddr, path: &str) -> (u16, Value) {
    json(agent().get(format!("http://{addr}{path}")).call().unwrap())
}

fn get_bytes(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let mut res = agent().get(format!("http://{addr}{path}")).call().unwrap();
    let kind = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let bytes = res.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
    (res.status().as_u16(), kind, bytes)
}

fn post(addr: SocketAddr, query: &str, body: &[u8]) -> (u16, Value) {
    json(agent().post(format!("http://{addr}/api/jobs?{query}")).send(body).unwrap())
}

fn delete(addr: SocketAddr, id: &str) -> (u16, Value) {
    json(agent().delete(format!("http://{addr}/api/jobs/{id}")).call().unwrap())
}

/// Polls job `id` until it has finished; its last status.
fn wait(addr: SocketAddr, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let (status, job) = get(addr, &format!("/api/jobs/{id}"));
        assert_eq!(status, 200, "{job}");
        if JobState::from_name(job["state"].as_str().unwrap()).unwrap().finished() {
            return job;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "job {id} did not finish: {job}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn error_of(v: &Value) -> &str {
    v["error"].as_str().unwrap_or_else(|| panic!("no error message in {v}"))
}

fn job_folders(work: &Path) -> usize {
    std::fs::read_dir(work).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir()).count()
}

#[test]
fn an_upload_becomes_a_job_whose_files_are_served() {
    let work = tempfile::tempdir().unwrap();
    let addr = serve(work.path(), Limits::default());
    let (status, info) = get(addr, "/api/info");
    assert_eq!(status, 200);
    assert_eq!(info["mode"], "serve");
    assert!(info["model"].as_str().is_some_and(|m| !m.is_empty()), "{info}");
    assert_eq!(info["limits"]["queue"], 4);

    let audio = std::fs::read(fixture("dialog_stereo.ogg")).unwrap();
    let (status, job) =
        post(addr, "name=dialog%20stereo.ogg&seed=3&steps=4&formats=glb,arkit-csv&preset=sofa", &audio);
    assert_eq!(status, 202, "{job}");
    assert!(["queued", "running"].contains(&job["state"].as_str().unwrap()), "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    // The name is reduced to a safe file stem.
    assert_eq!(job["name"], "dialogstereo");

    let job = wait(addr, &id);
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["progress"], 1.0);
    let files: Vec<(String, String)> = job["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap().to_string(), f["url"].as_str().unwrap().to_string()))
        .collect();
    let url = |kind: &str| {
        files
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, u)| u.clone())
            .unwrap_or_else(|| panic!("no {kind} in {job}"))
    };

    // The .npz reads back as both people over the recording's 4.5 s.
    let (status, _, npz) = get_bytes(addr, &url("npz"));
    assert_eq!(status, 200);
    let path = work.path().join("downloaded.npz");
    std::fs::write(&path, &npz).unwrap();
    let duo = duologue_params::Duo::read(&path).unwrap();
    assert_eq!(duo.frames(), 113);
    // Both heads are where the sofa preset seats them: side by side, not face to face.
    let (pa, pb) = (duo.a.translation(0), duo.b.translation(0));
    assert!((pa[0] - pb[0]).abs() > 0.3, "A {pa:?} B {pb:?}");

    let (status, kind, glb) = get_bytes(addr, &url("glb"));
    assert_eq!((status, kind.as_str()), (200, "model/gltf-binary"));
    assert_eq!(&glb[..4], b"glTF");
    let (_, _, csv) = get_bytes(addr, &url("arkit B"));
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("Timecode,BlendShapeCount,"), "{}", &csv[..80]);
    assert_eq!(csv.lines().count(), 1 + 113);

    // The result joins the page's list, with the uploaded recording byte for byte.
    let result = job["result"].as_str().unwrap();
    let (_, list) = get(addr, "/api/results");
    let entry = list["results"].as_array().unwrap().iter().find(|r| r["id"] == result).unwrap();
    assert_eq!(entry["frames"], 113);
    let (status, _, back) = get_bytes(addr, &format!("/api/results/{result}/audio"));
    assert_eq!(status, 200);
    assert_eq!(back, audio);

    // Nothing outside the job's own files is reachable, and a finished job cannot be cancelled.
    let (status, e) = get(addr, &format!("/api/jobs/{id}/files/..%2F..%2Fetc%2Fpasswd"));
    assert_eq!(status, 404, "{e}");
    let (status, e) = delete(addr, &id);
    assert_eq!(status, 409);
    assert!(error_of(&e).contains("already finished (done)"), "{e}");
    let (status, e) = delete(addr, "j999");
    assert_eq!(status, 404, "{e}");
}

#[test]
fn bad_uploads_are_refused_with_json_errors_and_leave_nothing_behind() {
    let work = tempfile::tempdir().unwrap();
    let limits = Limits { max_upload_bytes: 40_000, max_seconds: 3.0, queue: 4 };
    let addr = serve(work.path(), limits);
    let hello_ogg = std::fs::read(fixture("hello.ogg")).unwrap();

    // Larger than the upload limit: hello.wav is 48 kB.
    let (status, e) = post(addr, "name=hello.wav", &std::fs::read(fixture("hello.wav")).unwrap());
    assert_eq!(status, 413, "{e}");
    assert!(error_of(&e).contains("MB limit"), "{e}");
    // Small enough, but 4.5 s of audio where 3 s are allowed.
    let (status, e) = post(addr, "name=d.ogg", &std::fs::read(fixture("dialog_stereo.ogg")).unwrap());
    assert_eq!(status, 413, "{e}");
    assert!(error_of(&e).contains("4 s long") || error_of(&e).contains("5 s long"), "{e}");
    // Not audio at all.
    let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let (status, e) = post(addr, "name=x.wav", &noise);
    assert_eq!(status, 400, "{e}");
    assert!(error_of(&e).contains("not audio"), "{e}");
    // Empty.
    let (status, e) = post(addr, "", b"");
    assert_eq!(status, 400, "{e}");
    assert!(error_of(&e).contains("empty upload"), "{e}");
    // Bad options, on real audio.
    for (query, says) in [
        ("steps=0", "at least 1"),
        ("steps=many", "whole numbers"),
        ("formats=glb,fbx", "unknown format"),
        ("camera=drone", "drone"),
        ("preset=moon_base", "moon_base"),
    ] {
        let (status, e) = post(addr, query, &hello_ogg);
        assert_eq!(status, 400, "{query}: {e}");
        assert!(error_of(&e).contains(says), "{query}: {e}");
    }
    // None of the refused uploads left a folder in the work area.
    assert_eq!(job_folders(work.path()), 0);
    let (_, jobs) = get(addr, "/api/jobs");
    assert_eq!(jobs["jobs"].as_array().unwrap().len(), 0);

    // Unknown things are 404 JSON too.
    for path in ["/api/jobs/j0", "/api/results/r9/glb", "/no/such/page"] {
        let (status, e) = get(addr, path);
        assert_eq!(status, 404, "{path}: {e}");
        error_of(&e);
    }
}

#[test]
fn a_full_queue_answers_429_and_a_waiting_job_cancels_at_once() {
    let work = tempfile::tempdir().unwrap();
    let addr = serve(work.path(), Limits { queue: 1, ..Limits::default() });
    let audio = std::fs::read(fixture("dialog_stereo.ogg")).unwrap();
    // A job takes about a second, a submission milliseconds: one runs, one waits, the rest are
    // refused.
    let answers: Vec<(u16, Value)> = (0..4).map(|_| post(addr, "formats=none", &audio)).collect();
    let accepted: Vec<String> = answers
        .iter()
        .filter(|(s, _)| *s == 202)
        .map(|(_, j)| j["id"].as_str().unwrap().to_string())
        .collect();
    let refused: Vec<&Value> = answers.iter().filter(|(s, _)| *s == 429).map(|(_, e)| e).collect();
    assert!(accepted.len() >= 2 && !refused.is_empty(), "{answers:?}");
    assert_eq!(accepted.len() + refused.len(), 4, "{answers:?}");
    assert!(error_of(refused[0]).contains("1 jobs are already waiting"), "{:?}", refused[0]);
    // Refused uploads leave no folder; accepted ones have theirs.
    assert_eq!(job_folders(work.path()), accepted.len());

    // The last accepted job is still waiting behind the running one: cancelling it is immediate.
    let last = accepted.last().unwrap();
    let (_, before) = get(addr, &format!("/api/jobs/{last}"));
    let (status, after) = delete(addr, last);
    assert_eq!(status, 200, "{after}");
    if before["state"] == "queued" {
        assert_eq!(after["state"], "cancelled", "{after}");
    }
    let end = wait(addr, last);
    assert!(["cancelled", "done"].contains(&end["state"].as_str().unwrap()), "{end}");
    if before["state"] == "queued" {
        assert_eq!(end["state"], "cancelled");
        assert_eq!(end["files"].as_array().unwrap().len(), 0, "{end}");
    }
    // The first one runs to the end, and the queue takes a job again.
    assert_eq!(wait(addr, &accepted[0])["state"], "done");
    let (status, job) = post(addr, "formats=none", &audio);
    assert_eq!(status, 202, "{job}");
    let job = wait(addr, job["id"].as_str().unwrap());
    assert_eq!(job["state"], "done", "{job}");
    assert_eq!(job["files"].as_array().unwrap().len(), 1, "formats=none gives the .npz only: {job}");
}

#[test]
fn a_running_job_stops_when_cancelled() {
    let work = tempfile::tempdir().unwrap();
    let addr = serve(work.path(), Limits::default());
    // Half a minute of real speech (hello.wav twenty times): many windows, and a running job
    // stops before its next one.
    let hello = duologue_audio::decode_file(&fixture("hello.wav"), duologue_audio::ChannelMode::Mix).unwrap();
    let long: Vec<f32> = hello.tracks[0].iter().copied().cycle().take(hello.tracks[0].len() * 20).collect();
    let audio = duologue_audio::wav::encode_pcm16(&long, 16_000);
    let (status, job) = post(addr, "name=long.wav&formats=none", &audio);
    assert_eq!(status, 202, "{job}");
    let id = job["id"].as_str().unwrap();
    let start = Instant::now();
    loop {
        let (_, j) = get(addr, &format!("/api/jobs/{id}"));
        if j["state"] == "running" && j["stage"] == "sample" {
            break;
        }
        assert_ne!(j["state"], "done", "finished before it could be cancelled: {j}");
        assert!(start.elapsed() < Duration::from_secs(120), "never started sampling: {j}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, j) = delete(addr, id);
    assert_eq!(status, 200, "{j}");
    let end = wait(addr, id);
    assert_eq!(end["state"], "cancelled", "{end}");
    assert!(end["progress"].as_f64().unwrap() < 0.8, "{end}");
    assert!(end["result"].is_null());
    // It wrote no result.
    let (_, list) = get(addr, "/api/results");
    assert_eq!(list["results"].as_array().unwrap().len(), 0, "{list}");
}
