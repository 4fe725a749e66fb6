//! Minimal RIFF/WAVE for shard members and dubbing sources: 16-bit PCM out; 16-bit PCM or
//! 32-bit float, mono or multi-channel (averaged) in. Anything else is an error, never garbage.

/// Encode mono samples in [-1, 1] as 16-bit PCM WAV.
pub fn encode_pcm16(samples: &[f32], rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut b = Vec::with_capacity(44 + samples.len() * 2);
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36 + data_len).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes()); // PCM
    b.extend_from_slice(&1u16.to_le_bytes()); // mono
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * 2).to_le_bytes());
    b.extend_from_slice(&2u16.to_le_bytes());
    b.extend_from_slice(&16u16.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len.to_le_bytes());
    for &s in samples {
        // Scale by 32768 to match the decoder (and most readers); +1.0 saturates at 32767.
        let v = (s.clamp(-1.0, 1.0) * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

/// Decode a WAV file into mono f32 samples and its sample rate.
pub fn decode(bytes: &[u8]) -> Result<(Vec<f32>, u32), String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let mut pos = 12;
    let mut fmt: Option<(u16, u16, u32, u16)> = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len =
            u32::from_le_bytes([bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]]) as usize;
        let body = pos + 8;
        if id == b"fmt " {
            if len < 16 || body + 16 > bytes.len() {
                return Err("truncated fmt chunk".into());
            }
            let u16at = |o: usize| u16::from_le_bytes([bytes[body + o], bytes[body + o + 1]]);
            let rate =
                u32::from_le_bytes([bytes[body + 4], bytes[body + 5], bytes[body + 6], bytes[body + 7]]);
            fmt = Some((u16at(0), u16at(2), rate, u16at(14)));
        } else if id == b"data" {
            let (format, channels, rate, bits) = fmt.ok_or("data chunk before fmt chunk")?;
            if body + len > bytes.len() {
                return Err(format!("truncated data chunk: {} of {len} bytes", bytes.len() - body));
            }
            let data = &bytes[body..body + len];
            let ch = channels.max(1) as usize;
            let samples: Vec<f32> = match (format, bits) {
                (1, 16) => {
                    data.chunks_exact(2).map(|c| i16::from_le_bytes([c[0], c[1]]) as f32 / 32768.0).collect()
                }
                (3, 32) => {
                    data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
                }
                _ => return Err(format!("unsupported WAV encoding (format {format}, {bits} bits)")),
            };
            let mono = samples.chunks_exact(ch).map(|f| f.iter().sum::<f32>() / ch as f32).collect();
            return Ok((mono, rate));
        }
        pos = body + len + (len & 1);
    }
    Err("no data chunk".into())
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
}
