//! One training clip (DESIGN §6): 16 kHz mono audio, both people's parameters and masks, flags
//! and the free-text layout, plus its encoding as WebDataset members sharing a key.

use crate::wav;
use crate::DataError;
use duologue_params::{npy, Duo, Motion, Person, FPS, HOP, N_ID, X_DIM};
use serde::{Deserialize, Serialize};

/// Flags and provenance of a clip (the `KEY.json` member).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClipMeta {
    /// "simulated" or "dubbed".
    pub source: String,
    /// Dataset split ("train", "val", "test").
    pub split: String,
    /// Lips follow the audio exactly (loss on the speaker's lips is meaningful).
    pub lip_reliable: bool,
    /// Gaze is ground truth (gaze loss is meaningful).
    pub gaze_reliable: bool,
    /// Free-text layout description.
    pub layout_text: String,
    /// Layout library id, when drawn from it.
    #[serde(default)]
    pub layout_id: Option<String>,
    /// Full voice names of A and B (e.g. `en-us+Alicia`).
    pub voices: [String; 2],
    /// Voice units of A and B that splits are made by (no unit is in two splits).
    pub voice_units: [String; 2],
    /// Identity ids of A and B (no identity is in two splits).
    pub identities: [String; 2],
    /// Duration, seconds.
    pub seconds: f32,
    /// Anything else worth keeping (texts, acoustics, seeds), free-form.
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// A clip: audio, both people, metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Clip {
    /// WebDataset key (unique in a dataset).
    pub key: String,
    /// Mono 16 kHz samples, `[L * 640]`.
    pub audio: Vec<f32>,
    /// Both people (x, beta, t0, m).
    pub duo: Duo,
    /// Flags and provenance.
    pub meta: ClipMeta,
}

/// Array member names of DESIGN §6, in the order they are written.
pub const ARRAYS: [&str; 8] = ["x_A", "x_B", "beta_A", "beta_B", "t0_A", "t0_B", "m_A", "m_B"];

impl Clip {
    /// Number of frames.
    pub fn frames(&self) -> usize {
        self.duo.frames()
    }

    /// Check shapes and values; `shard` names the container for the message.
    pub fn validate(&self, shard: &str) -> Result<(), DataError> {
        let bad = |reason: String| DataError::BadClip { shard: shard.into(), key: self.key.clone(), reason };
        let l = self.frames();
        if l == 0 {
            return Err(bad("no frames".into()));
        }
        if self.audio.len() != l * HOP {
            return Err(bad(format!(
                "audio has {} samples, expected {} (= {l} frames x {HOP})",
                self.audio.len(),
                l * HOP
            )));
        }
        for (s, p) in [("A", &self.duo.a), ("B", &self.duo.b)] {
            if p.x.frames() != l || p.mask.len() != l || p.beta.len() != N_ID {
                return Err(bad(format!(
                    "person {s}: x {} frames, m {}, beta {}",
                    p.x.frames(),
                    p.mask.len(),
                    p.beta.len()
                )));
            }
            if p.x.as_slice().iter().chain(&p.beta).chain(&p.t0).any(|v| !v.is_finite()) {
                return Err(bad(format!("person {s} holds non-finite values")));
            }
            if p.mask.iter().any(|v| !(0.0..=1.0).contains(v)) {
                return Err(bad(format!("m_{s} outside [0, 1]")));
            }
        }
        if self.audio.iter().any(|v| !v.is_finite()) {
            return Err(bad("audio holds non-finite samples".into()));
        }
        Ok(())
    }

    /// The clip's members as (name suffix, bytes): `x_A.npy` ... `m_B.npy`, `audio.wav`, `json`.
    pub fn to_members(&self) -> Result<Vec<(String, Vec<u8>)>, DataError> {
        let l = self.frames();
        let mut out = Vec::with_capacity(10);
        for (s, p) in [("A", &self.duo.a), ("B", &self.duo.b)] {
            out.push((
                format!("x_{s}.npy"),
                npy::write(&npy::Array::new(vec![l, X_DIM], p.x.as_slice().to_vec())),
            ));
        }
        for (s, p) in [("A", &self.duo.a), ("B", &self.duo.b)] {
            out.push((format!("beta_{s}.npy"), npy::write(&npy::Array::new(vec![N_ID], p.beta.clone()))));
        }
        for (s, p) in [("A", &self.duo.a), ("B", &self.duo.b)] {
            out.push((format!("t0_{s}.npy"), npy::write(&npy::Array::new(vec![3], p.t0.to_vec()))));
        }
        for (s, p) in [("A", &self.duo.a), ("B", &self.duo.b)] {
            out.push((format!("m_{s}.npy"), npy::write(&npy::Array::new(vec![l], p.mask.clone()))));
        }
        out.push(("audio.wav".into(), wav::encode_pcm16(&self.audio, duologue_params::SAMPLE_RATE)));
        let json = serde_json::to_vec(&self.meta)
            .map_err(|e| DataError::Json { what: self.key.clone(), reason: e.to_string() })?;
        out.push(("json".into(), json));
        Ok(out)
    }

    /// Rebuild from members (suffix -> bytes), checking every array's shape.
    pub fn from_members(
        shard: &str,
        key: &str,
        members: &std::collections::HashMap<String, Vec<u8>>,
    ) -> Result<Clip, DataError> {
        let bad = |reason: String| DataError::BadClip { shard: shard.into(), key: key.into(), reason };
        let get = |name: &str| members.get(name).ok_or_else(|| bad(format!("missing member {key}.{name}")));
        let arr = |name: &str| -> Result<npy::Array, DataError> {
            npy::read(get(&format!("{name}.npy"))?, &format!("{key}.{name}.npy"))
                .map_err(|e| bad(e.to_string()))
        };
        let x_a = arr("x_A")?;
        if x_a.shape.len() != 2 || x_a.shape[1] != X_DIM || x_a.shape[0] == 0 {
            return Err(bad(format!("x_A has shape {:?}, expected [L, 78]", x_a.shape)));
        }
        let l = x_a.shape[0];
        let expect = |a: npy::Array, name: &str, shape: Vec<usize>| -> Result<Vec<f32>, DataError> {
            if a.shape != shape {
                return Err(bad(format!("{name} has shape {:?}, expected {shape:?}", a.shape)));
            }
            Ok(a.data)
        };
        let mut people = Vec::new();
        for s in ["A", "B"] {
            let x = if s == "A" { x_a.clone() } else { arr("x_B")? };
            let x = expect(x, &format!("x_{s}"), vec![l, X_DIM])?;
            let beta = expect(arr(&format!("beta_{s}"))?, &format!("beta_{s}"), vec![N_ID])?;
            let t0 = expect(arr(&format!("t0_{s}"))?, &format!("t0_{s}"), vec![3])?;
            let mask = expect(arr(&format!("m_{s}"))?, &format!("m_{s}"), vec![l])?;
            let x = Motion::from_vec(x).ok_or_else(|| bad("x length".into()))?;
            people.push(Person { x, beta, t0: [t0[0], t0[1], t0[2]], mask });
        }
        let (audio, rate) = wav::decode(get("audio.wav")?).map_err(|e| bad(format!("audio.wav: {e}")))?;
        if rate != duologue_params::SAMPLE_RATE {
            return Err(bad(format!("audio.wav is {rate} Hz, expected 16000")));
        }
        let meta: ClipMeta = serde_json::from_slice(get("json")?).map_err(|e| bad(format!("json: {e}")))?;
        let b = people.pop().ok_or_else(|| bad("person B".into()))?;
        let a = people.pop().ok_or_else(|| bad("person A".into()))?;
        let clip = Clip { key: key.into(), audio, duo: Duo { a, b, fps: FPS as f32 }, meta };
        clip.validate(shard)?;
        Ok(clip)
    }
}
