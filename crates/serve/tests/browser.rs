//! The viewer page in a real browser: headless Chromium (Debian's `chromium`, installed by
//! scripts/setup.sh) against a real server on 127.0.0.1. The page loads with no console errors
//! and decodes the recording, the heads move where the mouths are between two moments, and the
//! comparison view shows two results.

mod common;

use common::{conversation, fixture, result_file, view_server};
use duologue_render::Image;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

const W: u32 = 1280;
const H: u32 = 720;

fn chromium(url: &str, window: (u32, u32), extra: &[String]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--enable-unsafe-swiftshader"])
        .args(["--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={},{}", window.0, window.1))
        .arg("--virtual-time-budget=30000")
        .args(extra)
        .arg(url)
        .output()
        .unwrap_or_else(|e| panic!("chromium could not start ({e}): run scripts/setup.sh"))
}

fn dump_status(addr: SocketAddr, query: &str, window: (u32, u32)) -> Value {
    let out = chromium(&format!("http://{addr}/?{query}"), window, &["--dump-dom".into()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    let tag = "<pre id=\"status\">";
    let text = dom
        .find(tag)
        .map(|i| &dom[i + tag.len()..])
        .and_then(|rest| rest.find("</pre>").map(|e| &rest[..e]))
        .unwrap_or_else(|| {
            panic!(
                "no status in the page:\n{}\n{}",
                &dom[..dom.len().min(2000)],
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("status is not JSON ({e}): {text}"))
}

/// [`dump_status`], tried up to three times while the page is not ready: virtual time can run out
/// before a busy machine has parsed three.js and both glbs (the caller asserts `ready`).
fn ready_status(addr: SocketAddr, query: &str, window: (u32, u32)) -> Value {
    let mut s = dump_status(addr, query, window);
    for _ in 0..2 {
        if s["ready"] == true {
            break;
        }
        eprintln!("page not ready yet, once more: {s}");
        s = dump_status(addr, query, window);
    }
    s
}

/// The page's own report (<pre id="status">) at `query`, in a W x H viewport like the
/// screenshots'. Headless Chromium's --dump-dom keeps room for window chrome that --screenshot
/// does not, so the window grows by what the first try was short of, and the viewport is checked.
fn status(addr: SocketAddr, query: &str) -> Value {
    let first = ready_status(addr, query, (W, H));
    let viewport = |s: &Value| {
        (s["viewport"][0].as_u64().unwrap_or(0) as u32, s["viewport"][1].as_u64().unwrap_or(0) as u32)
    };
    let (w, h) = viewport(&first);
    if (w, h) == (W, H) {
        return first;
    }
    let s = ready_status(addr, query, (W + W.saturating_sub(w), H + H.saturating_sub(h)));
    assert_eq!(viewport(&s), (W, H), "could not size the page like the screenshots: {s}");
    s
}

fn screenshot(addr: SocketAddr, query: &str, dir: &Path, name: &str) -> Image {
    let path = dir.join(name);
    let out =
        chromium(&format!("http://{addr}/?{query}"), (W, H), &[format!("--screenshot={}", path.display())]);
    assert!(path.is_file(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    Image::load_png(&path).unwrap()
}

/// Mean absolute difference of two images over the square of half-side `r` around (x, y).
fn difference(a: &Image, b: &Image, (x, y): (f64, f64), r: i64) -> f64 {
    let (mut sum, mut n) = (0.0f64, 0.0f64);
    for py in (y as i64 - r).max(0)..(y as i64 + r).min(a.height as i64) {
        for px in (x as i64 - r).max(0)..(x as i64 + r).min(a.width as i64) {
            let (p, q) = (a.pixel(px as u32, py as u32), b.pixel(px as u32, py as u32));
            sum += p.iter().zip(q).map(|(u, v)| (*u as f64 - v as f64).abs()).sum::<f64>() / 3.0;
            n += 1.0;
        }
    }
    sum / n.max(1.0)
}

fn mouth(status: &Value, pane: usize, person: &str) -> (f64, f64) {
    let m = &status["panes"][pane]["mouths"][person];
    (m[0].as_f64().unwrap(), m[1].as_f64().unwrap())
}

#[test]
fn the_page_plays_both_heads_with_the_audio_and_compares_two_results() {
    let dir = tempfile::tempdir().unwrap();
    let a = result_file(dir.path(), "a_talks.npz", &conversation(100, 0));
    let b = result_file(dir.path(), "b_talks.npz", &conversation(100, 1));
    let addr = view_server(&[a, b], Some(fixture("dialog_stereo.ogg")));

    // Loads, decodes the recording, no console errors; both mouths are on screen.
    let s = status(addr, "t=0.52");
    assert_eq!(s["ready"], true, "{s}");
    assert_eq!(s["errors"], serde_json::json!([]), "console errors: {s}");
    assert_eq!(s["audio"], true, "the recording did not decode: {s}");
    assert_eq!(s["duration"].as_f64().unwrap(), 4.0);
    let (ma, mb) = (mouth(&s, 0, "A"), mouth(&s, 0, "B"));
    for (x, y) in [ma, mb] {
        assert!(x > 0.0 && x < W as f64 && y > 40.0 && y < H as f64 - 60.0, "mouth off screen: {s}");
    }
    assert!(ma.0 < mb.0, "two-shot: A is on the left: {s}");

    // Jaw wide open at 0.13 s (sin(12 t) = 1), closed at 0.52 s (sin < 0): A's mouth differs
    // between the two screenshots, B (listening, still) and the empty background do not.
    let open = screenshot(addr, "t=0.13", dir.path(), "open.png");
    let closed = screenshot(addr, "t=0.52", dir.path(), "closed.png");
    let at_a = difference(&open, &closed, ma, 30);
    let at_b = difference(&open, &closed, mb, 30);
    let corner = difference(&open, &closed, ((W / 2) as f64, 120.0), 30);
    assert!(at_a > 3.0, "A's mouth barely changed: {at_a} at {ma:?} (B {mb:?})");
    assert!(at_b < at_a / 4.0 && corner < 0.5, "A {at_a}, B {at_b}, background {corner}");

    // The comparison view: two panes, two results, each with two heads in its half.
    let s = status(addr, "compare=1&t=0.13");
    let panes = s["panes"].as_array().unwrap();
    assert_eq!(panes.len(), 2, "{s}");
    assert_eq!(
        (panes[0]["name"].as_str(), panes[1]["name"].as_str()),
        (Some("a_talks.npz"), Some("b_talks.npz"))
    );
    assert_eq!(s["errors"], serde_json::json!([]), "{s}");
    for (pane, half) in [(0, 0.0..W as f64 / 2.0), (1, W as f64 / 2.0..W as f64)] {
        for person in ["A", "B"] {
            let (x, _) = mouth(&s, pane, person);
            assert!(half.contains(&x), "pane {pane} mouth {person} at {x}: {s}");
        }
    }
    let shot = screenshot(addr, "compare=1&t=0.13", dir.path(), "compare.png");
    let background = shot.pixel(W / 4, 100);
    let heads = |x0: u32, x1: u32| {
        let mut n = 0;
        for y in 60..H - 80 {
            for x in x0..x1 {
                n += (shot
                    .pixel(x, y)
                    .iter()
                    .zip(background)
                    .map(|(p, q)| (*p as i32 - q as i32).abs())
                    .sum::<i32>()
                    > 40) as usize;
            }
        }
        n
    };
    let (left, right) = (heads(0, W / 2 - 2), heads(W / 2 + 2, W));
    assert!(left > 5000 && right > 5000, "head pixels: left {left}, right {right}");
}
