//! The .glb in three.js (npm `three`, installed in tools/gltf by scripts/setup.sh) inside headless
//! Chromium (Debian's `chromium`, installed by scripts/setup.sh), served from 127.0.0.1:
//! tools/gltf/three-check.html loads it with GLTFLoader, plays it with an AnimationMixer and
//! reports console errors, morph names and influences, and three.js's own skinned, morphed
//! vertices, which must be the face model's pose.

mod common;

use common::{chunks, mesh_weights};
use duologue_export::{glb_bytes, Morphs};
use duologue_face::FaceModel;
use duologue_params::N_EXPR;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

const FRAMES: usize = 30;

/// Serves files on 127.0.0.1 (any free port) from `roots` (URL prefix, folder) in a background
/// thread; returns the port.
fn serve(roots: Vec<(&'static str, PathBuf)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let roots = roots.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                // Skip the headers.
                let mut h = String::new();
                while reader.read_line(&mut h).map(|n| n > 2).unwrap_or(false) {
                    h.clear();
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").split('?').next().unwrap_or("/");
                let file = roots.iter().find_map(|(prefix, dir)| {
                    path.strip_prefix(prefix).filter(|rest| !rest.contains("..")).map(|rest| dir.join(rest))
                });
                let mut stream = &stream;
                match file.and_then(|f| std::fs::read(&f).ok().map(|b| (f, b))) {
                    Some((f, body)) => {
                        let mime = match f.extension().and_then(|e| e.to_str()) {
                            Some("html") => "text/html; charset=utf-8",
                            Some("js") => "text/javascript",
                            _ => "application/octet-stream",
                        };
                        let _ = write!(
                            stream,
                            "HTTP/1.1 200 OK\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(&body);
                    }
                    None => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                    }
                }
            });
        }
    });
    port
}

/// What three-check.html reports for `glb` at `frames`.
fn three_report(glb: &Path, frames: &[usize]) -> Value {
    let tools = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/gltf");
    assert!(
        tools.join("node_modules/three/build/three.module.js").is_file(),
        "three.js is not installed in {}: run scripts/setup.sh (npm ci in tools/gltf)",
        tools.display()
    );
    let port = serve(vec![("/files/", glb.parent().unwrap().to_path_buf()), ("/", tools)]);
    let name = glb.file_name().unwrap().to_string_lossy();
    let picks: Vec<String> = frames.iter().map(|k| k.to_string()).collect();
    let url =
        format!("http://127.0.0.1:{port}/three-check.html?glb=/files/{name}&frames={}", picks.join(","));
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--virtual-time-budget=60000", "--dump-dom"])
        .arg(&url)
        .output()
        .unwrap_or_else(|e| panic!("chromium could not start ({e}): run scripts/setup.sh"));
    let dom = String::from_utf8_lossy(&out.stdout);
    let start = dom.find("<pre id=\"out\">").map(|i| i + "<pre id=\"out\">".len());
    let text = start.and_then(|s| dom[s..].find("</pre>").map(|e| &dom[s..s + e])).unwrap_or_else(|| {
        panic!(
            "no report in the page:\n{}\n{}",
            &dom[..dom.len().min(2000)],
            String::from_utf8_lossy(&out.stderr)
        )
    });
    // The page writes JSON as text: only &, < and > come back escaped.
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("report is not JSON ({e}): {}", &text[..text.len().min(500)]))
}

#[test]
fn three_js_loads_and_plays_the_glb_as_written() {
    let face = FaceModel::shared();
    let duo = common::facing_duo(FRAMES);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("talk.glb");
    let (bytes, _) = glb_bytes(face, &[("A", &duo.a), ("B", &duo.b)], duo.fps, Morphs::Split).unwrap();
    std::fs::write(&path, &bytes).unwrap();
    let picks = [0, 13, FRAMES - 1];
    let report = three_report(&path, &picks);
    assert_eq!(report["errors"], serde_json::json!([]), "console errors or warnings");
    assert_eq!(report["fps"], 25.0);
    let clip = &report["clips"][0];
    assert_eq!(clip["tracks"], 12);
    assert!((clip["duration"].as_f64().unwrap() - (FRAMES - 1) as f64 / 25.0).abs() < 1e-4);
    let (doc, bin) = chunks(&bytes);
    for (mi, (name, person)) in [("A", &duo.a), ("B", &duo.b)].into_iter().enumerate() {
        let mesh = &report["meshes"][format!("{name}_head_mesh")];
        let names: Vec<&str> =
            mesh["names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(names.len(), 2 * N_EXPR);
        assert_eq!(&names[..2], &["jaw_open", "jaw_open_neg"]);
        // Morph influences at each key equal the file's weights.
        let w = mesh_weights(&doc, &bin, mi);
        for &k in &picks {
            let got: Vec<f64> = mesh["influences"][k.to_string()]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            for (i, g) in got.iter().enumerate() {
                assert!((g - w[k * 2 * N_EXPR + i] as f64).abs() < 1e-5, "{name} frame {k} target {i}");
            }
            // three.js's skinned, morphed vertices: the face model's pose, z mirrored.
            let verts = mesh["vertices"][k.to_string()].as_array().unwrap();
            let f = person.x.frame(k);
            let posed = face.pose(&person.beta, &f[..N_EXPR], &f[63..75], person.translation(k)).vertices;
            assert_eq!(verts.len(), 3 * posed.len());
            let mut worst = 0.0f64;
            for (v, p) in posed.iter().enumerate() {
                for (c, want) in [p[0], p[1], -p[2]].into_iter().enumerate() {
                    worst = worst.max((verts[3 * v + c].as_f64().unwrap() - want as f64).abs());
                }
            }
            assert!(worst < 1e-4, "{name} frame {k}: three.js's vertices differ from the pose by {worst} m");
        }
    }
}
