//! WAV for shard members and dubbing sources, through hound: out, the project's one 16-bit PCM
//! writer (`duologue_audio::wav`); in, integer PCM or 32-bit float, mono or multi-channel
//! (averaged). Anything else is an error, never garbage.

pub use duologue_audio::wav::encode_pcm16;

/// Decode a WAV file into mono f32 samples and its sample rate. Integer PCM of `b` bits is
/// scaled by `2^(b-1)` (16-bit: 32768, the inverse of [`encode_pcm16`]).
pub fn decode(bytes: &[u8]) -> Result<(Vec<f32>, u32), String> {
    let reader = hound::WavReader::new(bytes).map_err(|e| format!("not a readable WAV file: {e}"))?;
    let spec = reader.spec();
    let total = reader.len() as usize;
    let truncated = |got: usize| format!("truncated data chunk: {got} of {total} samples");
    let samples: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let scale = (1u64 << (bits - 1)) as f32;
            let mut out = Vec::with_capacity(total);
            for s in reader.into_samples::<i32>() {
                out.push(s.map_err(|_| truncated(out.len()))? as f32 / scale);
            }
            out
        }
        (hound::SampleFormat::Float, 32) => {
            let mut out = Vec::with_capacity(total);
            for s in reader.into_samples::<f32>() {
                out.push(s.map_err(|_| truncated(out.len()))?);
            }
            out
        }
        (format, bits) => return Err(format!("unsupported WAV encoding ({format:?}, {bits} bits)")),
    };
    let ch = spec.channels.max(1) as usize;
    let mono = samples.chunks_exact(ch).map(|f| f.iter().sum::<f32>() / ch as f32).collect();
    Ok((mono, spec.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let x: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
        let b = encode_pcm16(&x, 16000);
        let (y, r) = decode(&b).unwrap();
        assert_eq!(r, 16000);
        assert_eq!(y.len(), x.len());
        assert!(x.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-4));
        assert!(decode(&b[..b.len() - 10]).unwrap_err().contains("truncated"));
        assert!(decode(b"hello").is_err());
    }

    #[test]
    fn float_stereo_is_averaged() {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 22050,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut bytes = Vec::new();
        let mut w = hound::WavWriter::new(std::io::Cursor::new(&mut bytes), spec).unwrap();
        for s in [0.5f32, -0.25, 1.0, 0.0] {
            w.write_sample(s).unwrap();
        }
        w.finalize().unwrap();
        assert_eq!(decode(&bytes).unwrap(), (vec![0.125, 0.5], 22050));
    }
}
