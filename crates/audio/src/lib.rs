//! duologue's audio front-end (DESIGN.md §1, §5; paper §3.3 "Audio Speaker Masking", §3.6.1,
//! appendix 3.1).
//!
//! - [`decode`]: any file (wav/flac/mp3/ogg/m4a/...) -> 16 kHz mono or two tracks, streaming;
//!   [`resample`]: the band-limited conversion to 16 kHz; [`wav`]: the one 16-bit WAV writer.
//! - [`features`]: the [`FeatureExtractor`] trait, audio -> `[frames at 25 fps, D]`;
//!   [`mel::LogMel`] is the embedded default, [`wav2vec2::Wav2Vec2`] the paper's (HF weights),
//!   [`whisper::Whisper`] a real-speech encoder (CTranslate2 weights read by [`ct2`]).
//! - [`vits`]: Piper's VITS text-to-speech voices in burn (a neural voice for simulation).
//! - [`vad`]: WebRTC voice activity at 25 fps; [`silero`]: Silero VAD in burn.
//! - [`diarize`]: two people from one mono mix (embeddings + 2-way clustering); [`ge2e`]: the
//!   GE2E speaker encoder (Resemblyzer weights) in burn.
//! - [`mask`]: soft masks in [0, 1] and their summary; [`pipeline`] ties it all together.
#![deny(missing_docs)]

pub mod campp;
pub mod ct2;
pub mod decode;
pub mod diarize;
mod error;
pub mod extractors;
pub mod fbank;
pub mod features;
pub mod ge2e;
pub mod mask;
pub mod mel;
pub mod pipeline;
mod report;
pub mod resample;
pub mod reseg;
pub mod score;
pub mod silero;
pub mod vad;
pub mod vits;
pub mod wav;
pub mod wav2vec2;
pub mod weights;
pub mod whisper;

pub use decode::{decode_file, decode_pair, AudioStream, ChannelMode, Decoded, SourceInfo, Warning};
pub use error::{AudioError, Result};
pub use extractors::{extractor, FEATURE_NAMES};
pub use features::{FeatureExtractor, Features};
pub use mask::{SmoothConfig, Summary};
pub use mel::{LogMel, LogMelConfig};
pub use pipeline::{
    masks_from_audio, masks_from_audio_report, masks_from_audio_with, mixed_masks, speaker_masks,
    speaker_masks_with, EmbedderKind, MaskOptions, Masks, MixMasks, MixReport, Source, VadKind,
};
