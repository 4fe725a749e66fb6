//! The speaker masks as a report (DESIGN §5): JSON with the per-frame values rounded to
//! 1/1000, or a few lines for people.

use crate::pipeline::{Masks, MixReport};
use duologue_params::FPS;

fn r3(v: f32) -> f64 {
    (v as f64 * 1000.0).round() / 1000.0
}

impl MixReport {
    /// `{"speakers", "confidence", "separation", "needed", "similarity", "one_voice"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "speakers": self.speakers,
            "confidence": r3(self.confidence),
            "separation": r3(self.separation),
            "needed": r3(self.needed),
            "similarity": r3(self.similarity),
            "one_voice": self.one_voice,
        })
    }

    /// One line: voices found and how sure the split is.
    pub fn summary_text(&self) -> String {
        match (self.speakers, &self.one_voice) {
            (2, _) => format!(
                "  two voices, split confidence {:.2} (voice similarity {:.2}, separation {:.2})\n",
                self.confidence, self.similarity, self.separation
            ),
            (0, _) => "  no speech found\n".to_string(),
            (_, Some(why)) => format!("  one voice: {why}\n"),
            (_, None) => "  one voice\n".to_string(),
        }
    }
}

impl Masks {
    /// `{"file", "method", "fps", "frames", "m_A", "m_B", "summary", "mix", "warnings"}`;
    /// `mix` ([`MixReport::to_json`]) is null for two tracks.
    pub fn to_json(&self) -> serde_json::Value {
        let round3 = |m: &[f32]| m.iter().map(|&v| r3(v)).collect::<Vec<f64>>();
        let s = &self.summary;
        serde_json::json!({
            "file": self.info.path.display().to_string(),
            "method": self.method,
            "fps": FPS,
            "frames": self.m_a.len(),
            "m_A": round3(&self.m_a),
            "m_B": round3(&self.m_b),
            "summary": {
                "seconds": r3(s.seconds),
                "speaking_A": r3(s.speaking_a),
                "speaking_B": r3(s.speaking_b),
                "overlap": r3(s.overlap),
                "silence": r3(s.silence),
                "turns": s.turns,
            },
            "mix": self.mix.as_ref().map(MixReport::to_json),
            "warnings": self.warnings.iter().map(|(f, w)| format!("{}: {w}", f.display())).collect::<Vec<_>>(),
        })
    }

    /// Length, method, each person's speaking time, overlap, silence and turns.
    pub fn summary_text(&self) -> String {
        let mix = self.mix.as_ref().map(MixReport::summary_text).unwrap_or_default();
        let s = &self.summary;
        let pct = |x: f32| if s.seconds > 0.0 { 100.0 * x / s.seconds } else { 0.0 };
        format!(
            "{}: {:.2} s, {} frames at {FPS} fps ({}; source {} Hz, {} ch)\n  A speaks {:.2} s ({:.0}%)\n  \
             B speaks {:.2} s ({:.0}%)\n  overlap  {:.2} s, silence {:.2} s, {} turns\n",
            self.info.path.display(),
            s.seconds,
            s.frames,
            self.method,
            self.info.sample_rate,
            self.info.channels,
            s.speaking_a,
            pct(s.speaking_a),
            s.speaking_b,
            pct(s.speaking_b),
            s.overlap,
            s.silence,
            s.turns
        ) + &mix
    }
}
