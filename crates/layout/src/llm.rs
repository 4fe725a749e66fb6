//! A blocking client for the OpenAI-compatible chat-completions protocol (OpenAI, vLLM,
//! llama.cpp's server, Ollama's `/v1`, hosted APIs), and the parser that pulls the layout out
//! of a reply. Nothing here touches the network unless the user configured an endpoint.

use crate::error::{LayoutError, Result};
use crate::prompt::{Message, MAX_TOKENS, TEMPERATURE};
use crate::Layout;
use serde_json::Value;
use std::time::Duration;

/// Environment variable with the endpoint's base URL (e.g. `http://127.0.0.1:11434/v1`).
pub const ENV_URL: &str = "DUOLOGUE_LLM_URL";
/// Environment variable with the model name.
pub const ENV_MODEL: &str = "DUOLOGUE_LLM_MODEL";
/// Environment variable with the API key (the key is never taken from a flag, so it does not
/// end up in shell history or process listings).
pub const ENV_KEY: &str = "DUOLOGUE_LLM_API_KEY";
/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and how to reach the LLM.
#[derive(Clone, PartialEq, Eq)]
pub struct LlmConfig {
    /// Base URL (`.../v1`) or the full `.../chat/completions` URL.
    pub url: String,
    /// Model name sent in the request.
    pub model: String,
    /// Bearer token, if the server wants one.
    pub api_key: Option<String>,
    /// Whole-request timeout (connect, send, wait, read).
    pub timeout: Duration,
    /// Extra attempts after a failed one (one by default: a retry, then the offline method).
    pub retries: u32,
}

impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        f.debug_struct("LlmConfig")
            .field("url", &self.url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .finish()
    }
}

impl LlmConfig {
    /// Combines flags (which win) with `DUOLOGUE_LLM_URL`, `DUOLOGUE_LLM_MODEL` and
    /// `DUOLOGUE_LLM_API_KEY`. `Ok(None)` when no URL is configured: the caller stays offline.
    pub fn from_flags_and_env(
        url: Option<String>,
        model: Option<String>,
        timeout: Option<Duration>,
    ) -> Result<Option<LlmConfig>> {
        let env = |k: &str| std::env::var(k).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let Some(url) = url.filter(|s| !s.trim().is_empty()).or_else(|| env(ENV_URL)) else {
            return Ok(None);
        };
        let model = model.filter(|s| !s.trim().is_empty()).or_else(|| env(ENV_MODEL)).ok_or_else(|| {
            LayoutError::LlmConfig(format!(
                "an LLM URL is set ({url}) but no model: pass --llm-model or set {ENV_MODEL}"
            ))
        })?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(LayoutError::LlmConfig(format!("URL must start with http:// or https://: {url}")));
        }
        Ok(Some(LlmConfig {
            url,
            model,
            api_key: env(ENV_KEY),
            timeout: timeout.unwrap_or(DEFAULT_TIMEOUT),
            retries: 1,
        }))
    }

    /// The chat-completions endpoint.
    pub fn endpoint(&self) -> String {
        let u = self.url.trim_end_matches('/');
        if u.ends_with("/chat/completions") {
            u.to_string()
        } else {
            format!("{u}/chat/completions")
        }
    }
}

/// A configured chat-completions client.
pub struct LlmClient {
    config: LlmConfig,
    agent: ureq::Agent,
}

impl LlmClient {
    /// Builds the HTTP agent (no request is sent yet).
    pub fn new(config: LlmConfig) -> LlmClient {
        // A proxy from the environment (HTTP_PROXY, ALL_PROXY) serves hosted APIs; a server on
        // this machine is reached directly, whatever the proxy settings say.
        let proxy = if is_loopback(&config.url) { None } else { ureq::Proxy::try_from_env() };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .proxy(proxy)
            .timeout_global(Some(config.timeout))
            // Read error bodies ourselves to put the server's message into the error.
            .http_status_as_error(false)
            .build()
            .into();
        LlmClient { config, agent }
    }

    /// The configuration.
    pub fn config(&self) -> &LlmConfig {
        &self.config
    }

    /// The request body: the paper's sampling settings (temperature 0.2, 128 tokens).
    pub fn request_body(&self, messages: &[Message]) -> Value {
        serde_json::json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": TEMPERATURE,
            "max_tokens": MAX_TOKENS,
            "stream": false,
        })
    }

    /// Sends one request and returns the assistant message's text.
    ///
    /// Transport errors are put in words ([`describe`]): ureq's own say `timeout: global`.
    pub fn complete(&self, messages: &[Message]) -> Result<String> {
        let url = self.config.endpoint();
        let http = |msg: String| LayoutError::LlmHttp { url: url.clone(), msg };
        let body = self.request_body(messages).to_string();
        let mut req = self.agent.post(&url).header("Content-Type", "application/json");
        if let Some(k) = &self.config.api_key {
            req = req.header("Authorization", format!("Bearer {k}"));
        }
        let why = |e: ureq::Error| http(describe(e, self.config.timeout));
        let mut resp = req.send(body.as_str()).map_err(why)?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().map_err(why)?;
        if !(200..300).contains(&status) {
            return Err(http(format!("HTTP {status}: {}", snippet(&text))));
        }
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| http(format!("response is not JSON ({e}): {}", snippet(&text))))?;
        v.pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| http(format!("no choices[0].message.content in {}", snippet(&text))))
    }

    /// Asks for a layout: the reply's text parsed by [`parse_reply`].
    pub fn layout(&self, messages: &[Message]) -> Result<Layout> {
        parse_reply(&self.complete(messages)?)
    }
}

/// True when `url`'s host is this machine (`localhost`, `127.x.x.x`, `[::1]`).
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn snippet(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// Extracts `{"A":[x,y,z],"B":[x,y,z]}` from a model's reply: plain JSON, JSON inside a code
/// fence, or JSON inside prose (the first balanced `{...}` that parses and has both people).
/// Keys are matched case-insensitively; `{"x":..,"y":..,"z":..}` objects are accepted too.
pub fn parse_reply(reply: &str) -> Result<Layout> {
    let err = |msg: &str| LayoutError::LlmReply { msg: msg.to_string(), reply: snippet(reply) };
    let mut saw_json = false;
    for (start, _) in reply.match_indices('{') {
        let Some(end) = matching_brace(&reply[start..]) else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&reply[start..start + end + 1]) else { continue };
        saw_json = true;
        if let Some(l) = layout_of(&v) {
            return Ok(l);
        }
    }
    Err(err(if saw_json {
        "JSON found but without A and B as three numbers each"
    } else {
        "no JSON object found"
    }))
}

/// Byte offset of the `}` closing the `{` at offset 0, skipping braces inside strings.
fn matching_brace(s: &str) -> Option<usize> {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_str {
            match c {
                _ if esc => esc = false,
                '\\' => esc = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

fn layout_of(v: &Value) -> Option<Layout> {
    let obj = v.as_object()?;
    let get = |who: &str| {
        obj.iter().find(|(k, _)| k.trim().eq_ignore_ascii_case(who)).map(|(_, v)| v).and_then(point)
    };
    Some(Layout { a: get("A")?, b: get("B")? })
}

fn point(v: &Value) -> Option<[f32; 3]> {
    let nums: Vec<f64> = match v {
        Value::Array(a) => a.iter().map(Value::as_f64).collect::<Option<_>>()?,
        Value::Object(o) => {
            ["x", "y", "z"].iter().map(|k| o.get(*k).and_then(Value::as_f64)).collect::<Option<_>>()?
        }
        _ => return None,
    };
    let p: [f64; 3] = nums.try_into().ok()?;
    Some(p.map(|x| x as f32))
}

/// A transport error in words a user can act on.
fn describe(e: ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => {
            format!("no answer within {:.1} s (raise it with --llm-timeout)", timeout.as_secs_f64())
        }
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed (is the server running?)".into(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running?)".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_in_every_common_wrapping_parse() {
        let want = Layout { a: [0.0, 0.0, -0.5], b: [0.0, 0.0, 0.5] };
        for r in [
            r#"{"A": [0.0, 0.0, -0.5], "B": [0.0, 0.0, 0.5]}"#,
            "```json\n{\"A\": [0, 0, -0.5], \"B\": [0, 0, 0.5]}\n```",
            "Sure! Here is the layout: {\"a\": [0, 0, -0.5], \"b\": [0, 0, 0.5]} Hope it helps {.",
            r#"{"note": "{weird}", "A": {"x": 0, "y": 0, "z": -0.5}, "B": [0, 0, 0.5]}"#,
            r#"Thinking {"step": 1}. Answer: {"A":[0,0,-0.5],"B":[0,0,0.5]}"#,
        ] {
            assert_eq!(parse_reply(r).unwrap(), want, "{r}");
        }
    }

    #[test]
    fn unusable_replies_say_why() {
        let e = parse_reply("I cannot do that.").unwrap_err().to_string();
        assert!(e.contains("no JSON object"), "{e}");
        let e = parse_reply(r#"{"A": [0, 0], "B": [0, 0, 1]}"#).unwrap_err().to_string();
        assert!(e.contains("without A and B"), "{e}");
        let e = parse_reply(r#"{"A": [0, 0, "far"], "B": [0, 0, 1]}"#).unwrap_err().to_string();
        assert!(e.contains("without A and B"), "{e}");
        assert!(parse_reply(r#"{"A": [0, 0, -0.5], "B": [0, 0, 0.5"#).is_err());
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for u in [
            "http://127.0.0.1:8080/v1",
            "http://localhost/v1",
            "http://[::1]:11434/v1",
            "http://u:p@127.0.0.2",
        ] {
            assert!(is_loopback(u), "{u}");
        }
        for u in ["https://api.example.com/v1", "http://10.0.0.1:8000", "http://localhost.example.com"] {
            assert!(!is_loopback(u), "{u}");
        }
    }

    #[test]
    fn endpoint_accepts_base_or_full_url() {
        let mut c = LlmConfig {
            url: "http://h:1/v1/".into(),
            model: "m".into(),
            api_key: Some("secret".into()),
            timeout: DEFAULT_TIMEOUT,
            retries: 1,
        };
        assert_eq!(c.endpoint(), "http://h:1/v1/chat/completions");
        c.url = "http://h:1/v1/chat/completions".into();
        assert_eq!(c.endpoint(), "http://h:1/v1/chat/completions");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
