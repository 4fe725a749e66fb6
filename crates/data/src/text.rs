//! What the simulated people say: the OS fortune files when installed (Debian/Ubuntu
//! `fortunes-min`, `fortunes`: ~15k English fortunes under /usr/share/games/fortunes), else the
//! public-domain sentence list bundled with this crate, so the simulator works everywhere.

use std::path::Path;

/// Where Debian and Ubuntu install fortune files.
pub const FORTUNE_DIR: &str = "/usr/share/games/fortunes";
/// Environment variable naming another fortune directory (e.g. a copy carried to a machine
/// without the OS package); it takes precedence over [`FORTUNE_DIR`].
pub const FORTUNE_DIR_ENV: &str = "DUOLOGUE_FORTUNE_DIR";

const BUNDLED: &str = include_str!("../data/sentences.txt");

/// Backchannels a listener utters in the speaker's pauses (BEHAVIOR.md, Turn-taking).
pub const BACKCHANNELS: [&str; 10] =
    ["mm-hmm", "yeah", "right", "uh-huh", "okay", "yes", "I see", "sure", "oh", "hmm"];

/// A corpus of speakable utterances.
#[derive(Debug, Clone)]
pub struct Corpus {
    /// Utterances, each one to a few sentences.
    pub lines: Vec<String>,
    /// Where they came from ("fortunes:/usr/share/games/fortunes" or "bundled").
    pub source: String,
}

impl Corpus {
    /// Fortunes from `$DUOLOGUE_FORTUNE_DIR` or [`FORTUNE_DIR`] (at least 500 usable entries),
    /// else the bundled list.
    pub fn load() -> Corpus {
        std::env::var_os(FORTUNE_DIR_ENV)
            .and_then(|d| Self::from_fortune_dir(Path::new(&d)))
            .or_else(|| Self::from_fortune_dir(Path::new(FORTUNE_DIR)))
            .unwrap_or_else(Self::bundled)
    }

    /// The bundled sentence list.
    pub fn bundled() -> Corpus {
        let lines = BUNDLED
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(String::from)
            .collect();
        Corpus { lines, source: "bundled".into() }
    }

    /// Speakable fortunes from a directory of fortune files; `None` when too few.
    pub fn from_fortune_dir(dir: &Path) -> Option<Corpus> {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
            .map(|e| e.path())
            .filter(|p| p.extension().is_none())
            .collect();
        names.sort();
        let mut lines = Vec::new();
        for p in names {
            let stem = p.file_name().and_then(|s| s.to_str()).unwrap_or("");
            // Pictures and offensive collections are not conversation.
            if matches!(stem, "art" | "ascii-art" | "off") {
                continue;
            }
            let Ok(bytes) = std::fs::read(&p) else { continue };
            let text = String::from_utf8_lossy(&bytes);
            lines.extend(text.split("\n%\n").filter_map(speakable));
        }
        (lines.len() >= 500).then(|| Corpus { lines, source: format!("fortunes:{}", dir.display()) })
    }
}

/// A fortune cleaned into one line of speech, or `None` if it is not plain prose.
pub fn speakable(entry: &str) -> Option<String> {
    let body = entry.split("\n\t\t--").next()?.split("\n\t--").next()?.split("\n  --").next()?;
    if body.contains('\t') || body.contains("  ") && body.lines().count() > 1 && body.contains("   ") {
        return None;
    }
    let joined: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = joined.chars().count();
    if !(15..=240).contains(&n) || !joined.is_ascii() {
        return None;
    }
    let letters = joined.chars().filter(|c| c.is_ascii_alphabetic() || *c == ' ').count();
    if (letters as f32) < 0.85 * n as f32 || joined.contains("--") || joined.contains(':') {
        return None;
    }
    Some(joined)
}

/// Split an utterance into sentences at `.`, `?`, `!` followed by a space.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        if matches!(c, '.' | '?' | '!') && chars.get(i + 1).is_none_or(|n| *n == ' ') {
            let s = cur.trim().to_string();
            if !s.is_empty() {
                out.push(s);
            }
            cur.clear();
        }
    }
    let s = cur.trim().to_string();
    if !s.is_empty() {
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_corpus_has_a_few_hundred_lines() {
        let c = Corpus::bundled();
        assert!(c.lines.len() >= 150, "{}", c.lines.len());
        assert!(c.lines.iter().all(|l| !l.starts_with('#')));
    }

    #[test]
    fn fortunes_are_cleaned() {
        assert_eq!(
            speakable("You will be awarded\nsome great honor.\n\t\t-- Someone").as_deref(),
            Some("You will be awarded some great honor.")
        );
        assert_eq!(speakable("  /\\_/\\\n ( o.o )\n  > ^ <"), None);
        assert_eq!(speakable("Q: Why?\nA: Because."), None);
    }

    #[test]
    fn sentence_split() {
        assert_eq!(sentences("Hi there. How are you? Fine!"), vec!["Hi there.", "How are you?", "Fine!"]);
        assert_eq!(sentences("Dr.Who is 3.5 m tall"), vec!["Dr.Who is 3.5 m tall"]);
    }
}
