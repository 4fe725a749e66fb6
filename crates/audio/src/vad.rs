//! Voice activity at 25 fps (paper §3.6.1 and appendix 3.1: "WebRTC VAD for frame-level
//! activity detection").
//!
//! WebRTC's VAD (libfvad, built from C by the `webrtc-vad` crate) decides voiced/unvoiced for
//! 10 ms frames; a 40 ms animation frame holds four of them and its raw probability is the
//! voiced fraction (0, 1/4, ..., 1). Silero VAD (see `silero`) gives real probabilities on
//! 32 ms frames; [`rate_to_frames`] brings any frame rate onto the 25 fps grid.

use duologue_params::HOP;

/// 10 ms at 16 kHz: the WebRTC frame.
const SUB: usize = 160;

/// Streaming WebRTC VAD: push 16 kHz audio in any pieces, get one raw probability per
/// completed 25 fps frame.
pub struct WebRtcVad {
    vad: webrtc_vad::Vad,
    rest: Vec<f32>,
    pcm: Vec<i16>,
}

impl std::fmt::Debug for WebRtcVad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebRtcVad").field("buffered", &self.rest.len()).finish()
    }
}

impl WebRtcVad {
    /// `aggressiveness` 0 (most permissive) ..= 3 (most aggressive at rejecting non-speech);
    /// values above 3 are treated as 3.
    pub fn new(aggressiveness: u8) -> Self {
        let mode = match aggressiveness {
            0 => webrtc_vad::VadMode::Quality,
            1 => webrtc_vad::VadMode::LowBitrate,
            2 => webrtc_vad::VadMode::Aggressive,
            _ => webrtc_vad::VadMode::VeryAggressive,
        };
        let vad = webrtc_vad::Vad::new_with_rate_and_mode(webrtc_vad::SampleRate::Rate16kHz, mode);
        Self { vad, rest: Vec::new(), pcm: vec![0; SUB] }
    }

    fn frame_prob(&mut self, frame: &[f32]) -> f32 {
        let mut voiced = 0;
        for sub in frame.chunks_exact(SUB) {
            for (p, &x) in self.pcm.iter_mut().zip(sub) {
                *p = (x * 32767.0).round().clamp(-32768.0, 32767.0) as i16;
            }
            // Only a wrong frame length makes libfvad fail, and SUB is a valid one.
            if self.vad.is_voice_segment(&self.pcm).unwrap_or(false) {
                voiced += 1;
            }
        }
        voiced as f32 / (HOP / SUB) as f32
    }

    /// Feeds audio; returns raw probabilities of the frames it completed.
    pub fn push(&mut self, audio: &[f32]) -> Vec<f32> {
        self.rest.extend_from_slice(audio);
        let whole = self.rest.len() / HOP * HOP;
        let buf = std::mem::take(&mut self.rest);
        let out = buf[..whole].chunks_exact(HOP).map(|f| self.frame_prob(f)).collect();
        self.rest = buf[whole..].to_vec();
        out
    }

    /// Ends the stream: the partial last frame (zero-padded) if there is one.
    pub fn finish(&mut self) -> Option<f32> {
        if self.rest.is_empty() {
            return None;
        }
        let mut last = std::mem::take(&mut self.rest);
        last.resize(HOP, 0.0);
        Some(self.frame_prob(&last))
    }
}

/// Raw WebRTC probabilities of a whole signal, `ceil(len / 640)` values.
pub fn webrtc_probs(audio: &[f32], aggressiveness: u8) -> Vec<f32> {
    let mut v = WebRtcVad::new(aggressiveness);
    let mut p = v.push(audio);
    p.extend(v.finish());
    p
}

/// Re-grids per-frame values from frames of `src_hop` samples to 25 fps frames (640 samples):
/// each output frame is the overlap-weighted mean of the source frames it covers. `n_out` is
/// the number of output frames wanted (source frames past the end count as zero).
pub fn rate_to_frames(src: &[f32], src_hop: usize, n_out: usize) -> Vec<f32> {
    (0..n_out)
        .map(|k| {
            let (a, b) = (k * HOP, (k + 1) * HOP);
            let (mut acc, mut i) = (0.0f32, a / src_hop);
            while i * src_hop < b {
                let (s, e) = ((i * src_hop).max(a), ((i + 1) * src_hop).min(b));
                acc += src.get(i).copied().unwrap_or(0.0) * (e - s) as f32;
                i += 1;
            }
            acc / HOP as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_is_unvoiced_and_lengths_round_up() {
        let p = webrtc_probs(&vec![0.0; 16000 + 1], 2);
        assert_eq!(p.len(), 26);
        assert!(p.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn streaming_equals_whole() {
        // A buzzy vowel-like signal: harmonics of 140 Hz with a slow envelope.
        let x: Vec<f32> = (0..16000 * 2)
            .map(|i| {
                let t = i as f32 / 16000.0;
                let env = (0.5 + 0.5 * (2.0 * std::f32::consts::PI * 2.0 * t).sin()).max(0.0);
                (1..12)
                    .map(|h| (2.0 * std::f32::consts::PI * 140.0 * h as f32 * t).sin() / h as f32)
                    .sum::<f32>()
                    * 0.2
                    * env
            })
            .collect();
        let whole = webrtc_probs(&x, 1);
        let mut v = WebRtcVad::new(1);
        let mut pieces = Vec::new();
        for c in x.chunks(777) {
            pieces.extend(v.push(c));
        }
        pieces.extend(v.finish());
        assert_eq!(whole, pieces);
    }

    #[test]
    fn regridding_keeps_constants_and_weights_overlaps() {
        // 512-sample frames (Silero) -> 640-sample frames.
        let ones = vec![1.0; 100];
        assert!(rate_to_frames(&ones, 512, 50).iter().all(|&v| (v - 1.0).abs() < 1e-6));
        // Source frame 1 = [512, 1024) covers 128/640 of frame 0 and 384/640 of frame 1.
        let r = rate_to_frames(&[0.0, 1.0, 0.0], 512, 2);
        assert!((r[0] - 128.0 / 640.0).abs() < 1e-6 && (r[1] - 384.0 / 640.0).abs() < 1e-6);
    }
}
