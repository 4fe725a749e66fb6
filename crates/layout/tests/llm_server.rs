//! The LLM client against a real HTTP server on 127.0.0.1 that speaks the chat-completions
//! protocol from a script: valid JSON, JSON in prose or code fences, malformed JSON,
//! out-of-range numbers, HTTP errors and slow replies. Every case must end in a correct layout
//! or a clear fallback to the offline structured method: never a panic, never a hang (the server serves its script and
//! stops; each accept waits at most a few seconds).

use duologue_layout::{Layout, Layouter, LlmClient, LlmConfig, Method, Policy};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One scripted answer.
#[derive(Clone)]
struct Reply {
    status: u16,
    body: String,
    delay: Duration,
}

fn chat(content: &str) -> Reply {
    let body = serde_json::json!({
        "id": "x", "object": "chat.completion", "model": "test",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}]
    });
    Reply { status: 200, body: body.to_string(), delay: Duration::ZERO }
}

/// A received request: its JSON body and its Authorization header.
type Seen = (Value, Option<String>);

struct Server {
    url: String,
    /// Request bodies (JSON) and Authorization headers, in arrival order.
    seen: Arc<Mutex<Vec<Seen>>>,
    handle: JoinHandle<()>,
}

/// Serves `script` one connection per reply, then stops; gives up waiting for a connection
/// after 5 s so a test whose client made fewer calls still ends.
fn serve(script: Vec<Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let handle = std::thread::spawn(move || {
        for reply in script {
            let deadline = Instant::now() + Duration::from_secs(5);
            let stream = loop {
                match listener.accept() {
                    Ok((s, _)) => break Some(s),
                    Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                    Err(_) => break None,
                }
            };
            let Some(stream) = stream else { return };
            if let Some(req) = read_request(&stream) {
                seen2.lock().unwrap().push(req);
            }
            std::thread::sleep(reply.delay);
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                reply.status,
                reply.body.len(),
                reply.body
            );
            let _ = s.flush();
        }
    });
    Server { url, seen, handle }
}

fn read_request(stream: &TcpStream) -> Option<Seen> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
    let mut r = BufReader::new(stream);
    let (mut len, mut auth) = (0usize, None);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().ok()?,
                "authorization" => auth = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some((serde_json::from_slice(&body).ok()?, auth))
}

fn layouter(url: &str, timeout: Duration, key: Option<&str>) -> Layouter {
    let cfg = LlmConfig {
        url: url.to_string(),
        model: "test-model".into(),
        api_key: key.map(str::to_string),
        timeout,
        retries: 1,
    };
    Layouter::offline(Some(LlmClient::new(cfg))).unwrap()
}

const TEXT: &str = "Two friends chatting at a bus stop.";
const F2F: Layout = Layout { a: [0.0, 0.0, -0.6], b: [0.0, 0.0, 0.6] };

#[test]
fn valid_json_is_used_and_the_request_follows_the_paper() {
    let srv = serve(vec![chat(r#"{"A": [0.0, 0.0, -0.6], "B": [0.0, 0.0, 0.6]}"#)]);
    let l = layouter(&srv.url, Duration::from_secs(10), Some("sk-test"));
    let o = l.layout(TEXT, Method::FewShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!(o.layout, F2F);
    assert_eq!(o.used, Method::FewShot);
    assert!(o.notes.is_empty(), "{:?}", o.notes);
    let seen = srv.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (req, auth) = &seen[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test"));
    assert_eq!(req["model"], "test-model");
    assert!((req["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(req["max_tokens"], 128);
    let msgs = req["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["role"], "system");
    let user = msgs[1]["content"].as_str().unwrap();
    assert_eq!(user.matches("[Example ").count(), 3);
    assert!(user.ends_with(&format!("[User Query]\nInput: \"{TEXT}\"\nOutput:")));
}

#[test]
fn zero_shot_sends_no_examples_and_no_key_header_without_a_key() {
    let srv = serve(vec![chat(r#"{"A": [0.0, 0.0, -0.6], "B": [0.0, 0.0, 0.6]}"#)]);
    let l = layouter(&srv.url, Duration::from_secs(10), None);
    let o = l.layout(TEXT, Method::ZeroShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!((o.layout, o.used), (F2F, Method::ZeroShot));
    let seen = srv.seen.lock().unwrap();
    assert_eq!(seen[0].1, None);
    let user = seen[0].0["messages"][1]["content"].as_str().unwrap();
    assert!(!user.contains("[Example"), "{user}");
}

#[test]
fn json_inside_prose_or_code_fences_is_found() {
    for content in [
        "Here is the layout you asked for:\n{\"A\": [0, 0, -0.6], \"B\": [0, 0, 0.6]}\nLet me know!",
        "```json\n{\"A\": [0.0, 0.0, -0.6],\n \"B\": [0.0, 0.0, 0.6]}\n```",
    ] {
        let srv = serve(vec![chat(content)]);
        let o = layouter(&srv.url, Duration::from_secs(10), None).layout(TEXT, Method::FewShot).unwrap();
        srv.handle.join().unwrap();
        assert_eq!((o.layout, o.used), (F2F, Method::FewShot), "{content}");
    }
}

#[test]
fn malformed_json_twice_falls_back_to_the_structured_method_with_reasons() {
    let bad = chat(r#"{"A": [0.0, 0.0, -0.6], "B": [0.0, 0.0"#);
    let srv = serve(vec![bad.clone(), bad]);
    let l = layouter(&srv.url, Duration::from_secs(10), None);
    let o = l.layout(TEXT, Method::FewShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!(srv.seen.lock().unwrap().len(), 2, "exactly one retry");
    assert_eq!(o.used, Method::Structured);
    assert_eq!(o.layout, l.read(TEXT).unwrap().layout());
    let notes = o.notes.join("\n");
    assert!(notes.contains("attempt 1/2") && notes.contains("attempt 2/2"), "{notes}");
    assert!(notes.contains("no JSON object found") && notes.contains("falling back"), "{notes}");
}

#[test]
fn a_good_retry_after_a_bad_reply_is_used() {
    let srv = serve(vec![chat("Sorry, I can't."), chat(r#"{"A":[0,0,-0.6],"B":[0,0,0.6]}"#)]);
    let o = layouter(&srv.url, Duration::from_secs(10), None).layout(TEXT, Method::FewShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!((o.layout, o.used), (F2F, Method::FewShot));
    assert_eq!(o.notes.len(), 1, "{:?}", o.notes);
}

#[test]
fn out_of_range_numbers_are_clamped_or_rejected() {
    let far = chat(r#"{"A": [0.0, 0.0, -0.5], "B": [0.0, 0.0, 50.0]}"#);
    let srv = serve(vec![far.clone()]);
    let o = layouter(&srv.url, Duration::from_secs(10), None).layout(TEXT, Method::FewShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!(o.used, Method::FewShot);
    assert_eq!(o.layout.b, [0.0, 0.0, 8.0]);
    assert!(o.notes.iter().any(|n| n.contains("B z = 50.00") && n.contains("clamped")), "{:?}", o.notes);

    let srv = serve(vec![far.clone(), far]);
    let mut l = layouter(&srv.url, Duration::from_secs(10), None);
    l.policy = Policy::Reject;
    let o = l.layout(TEXT, Method::FewShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!(o.used, Method::Structured);
    assert!(o.notes.iter().any(|n| n.contains("rejected") && n.contains("B z = 50.00")), "{:?}", o.notes);
}

#[test]
fn http_errors_retry_once_then_fall_back() {
    let err = Reply { status: 500, body: r#"{"error": "model overloaded"}"#.into(), delay: Duration::ZERO };
    let srv = serve(vec![err.clone(), err]);
    let o = layouter(&srv.url, Duration::from_secs(10), None).layout(TEXT, Method::FewShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!(srv.seen.lock().unwrap().len(), 2);
    assert_eq!(o.used, Method::Structured);
    let notes = o.notes.join("\n");
    assert!(notes.contains("HTTP 500") && notes.contains("model overloaded"), "{notes}");
}

#[test]
fn a_reply_without_choices_falls_back() {
    let odd = Reply { status: 200, body: r#"{"result": "ok"}"#.into(), delay: Duration::ZERO };
    let srv = serve(vec![odd.clone(), odd]);
    let o = layouter(&srv.url, Duration::from_secs(10), None).layout(TEXT, Method::ZeroShot).unwrap();
    srv.handle.join().unwrap();
    assert_eq!(o.used, Method::Structured);
    assert!(o.notes.join("\n").contains("choices[0].message.content"), "{:?}", o.notes);
}

#[test]
fn a_slow_server_times_out_and_falls_back() {
    let slow = Reply { delay: Duration::from_millis(1500), ..chat(r#"{"A":[0,0,-0.6],"B":[0,0,0.6]}"#) };
    let srv = serve(vec![slow.clone(), slow]);
    let o = layouter(&srv.url, Duration::from_millis(300), None).layout(TEXT, Method::FewShot).unwrap();
    assert_eq!(o.used, Method::Structured, "{:?}", o.notes);
    assert_eq!(o.notes.len(), 3, "two failed attempts and the fallback: {:?}", o.notes);
    // In words, with the knob to turn (issue 21: ureq's own message was `timeout: global`).
    assert!(o.notes[0].contains("no answer within 0.3 s (raise it with --llm-timeout)"), "{:?}", o.notes);
    // The server finishes its script by itself; joining proves it does not hang.
    srv.handle.join().unwrap();
}

#[test]
fn an_unreachable_server_falls_back() {
    // A port that was just free: nothing listens there any more.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let l = layouter(&format!("http://127.0.0.1:{port}/v1"), Duration::from_secs(2), None);
    let o = l.layout(TEXT, Method::FewShot).unwrap();
    assert_eq!(o.used, Method::Structured);
    assert!(o.notes.last().unwrap().contains("falling back"));
}

#[test]
fn without_an_endpoint_llm_methods_say_so_and_use_the_structured_method() {
    let l = Layouter::offline(None).unwrap();
    assert_eq!(l.default_method(), Method::Structured);
    let o = l.layout(TEXT, Method::FewShot).unwrap();
    assert_eq!(o.used, Method::Structured);
    assert!(o.notes[0].contains("needs an LLM endpoint"), "{:?}", o.notes);
}

#[test]
fn config_from_flags_requires_a_model_and_an_http_url() {
    let c =
        LlmConfig::from_flags_and_env(Some("http://h/v1".into()), Some("m".into()), None).unwrap().unwrap();
    assert_eq!(c.endpoint(), "http://h/v1/chat/completions");
    assert!(LlmConfig::from_flags_and_env(Some("ftp://h".into()), Some("m".into()), None).is_err());
}
