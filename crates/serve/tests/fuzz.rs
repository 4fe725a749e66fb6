//! Fuzz harness of `duologue serve`'s HTTP bodies and queries (issue 21; README
//! "Reliability"): uploads made from real recordings damaged and forged, and job queries
//! (layout, seed, steps, formats, camera, name) damaged, sent to a real server on 127.0.0.1.
//! Every answer is one of the statuses the API documents, with a JSON body (an `error` for
//! every refusal); never a 5xx, never a hang; refused uploads leave no job folder.
//! Cases: `DUOLOGUE_FUZZ_CASES` (CI: the default, 200).

mod common;

use common::fixture;
use duologue_params::fuzz::run;
use duologue_serve::{App, Jobs, Library, Limits};
use std::sync::{Arc, RwLock};
use std::time::Duration;

#[test]
fn damaged_uploads_and_queries_get_documented_json_answers() {
    let work = tempfile::tempdir().unwrap();
    // Small limits: most uploads are refused before they reach the model; the few accepted
    // ones (at most one waiting) keep the worker busy without a backlog.
    let limits = Limits { max_upload_bytes: 64_000, max_seconds: 2.0, queue: 1 };
    let library = Arc::new(RwLock::new(Library::new()));
    let jobs = Jobs::start(None, work.path().to_path_buf(), limits, library.clone()).unwrap();
    let addr = common::start(App { library, jobs: Some(jobs) });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let bodies = [std::fs::read(fixture("hello.wav")).unwrap(), std::fs::read(fixture("hello.ogg")).unwrap()];
    let query =
        "layout=sitting+across+a+small+table&seed=3&steps=1&formats=arkit-csv&camera=auto&name=talk.wav";
    let mut accepted = 0;
    run(
        "http",
        71,
        |m| {
            // Body and query, separated by their lengths in the first 8 bytes.
            let pick = m.below(2);
            let body = m.mutate(&bodies[pick]);
            let q = if m.chance(0.5) { m.mutate(query.as_bytes()) } else { query.as_bytes().to_vec() };
            let mut v = (body.len() as u64).to_le_bytes().to_vec();
            v.extend(body);
            v.extend(q);
            v
        },
        |bytes| {
            let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            let (body, q) = bytes[8..].split_at(n);
            // The query as a client would send it: percent-encoded bytes.
            let q: String = q
                .iter()
                .map(|&b| match b {
                    b'a'..=b'z'
                    | b'A'..=b'Z'
                    | b'0'..=b'9'
                    | b'='
                    | b'&'
                    | b'+'
                    | b'.'
                    | b'-'
                    | b'_'
                    | b',' => (b as char).to_string(),
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let mut res = agent
                .post(format!("http://{addr}/api/jobs?{q}"))
                .send(body)
                .map_err(|e| format!("no answer: {e}"))?;
            let status = res.status().as_u16();
            let text = res.body_mut().read_to_string().map_err(|e| e.to_string())?;
            let v: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("HTTP {status} is not JSON ({e}): {text}"))?;
            match status {
                202 => {
                    accepted += 1;
                    Ok(true)
                }
                400 | 413 | 429 if v["error"].as_str().is_some_and(|e| !e.is_empty()) => Ok(false),
                _ => Err(format!("HTTP {status}: {text}")),
            }
        },
    );
    // Every refused upload removed its folder: what is left are the accepted jobs'.
    let folders = std::fs::read_dir(work.path()).unwrap().count();
    assert!(folders <= accepted, "{folders} job folders for {accepted} accepted uploads");
}
