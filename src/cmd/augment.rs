//! The augmentation flags `simulate` and `dub` share.

use super::fraction;

/// How `simulate` and `dub` augment the audio of the conversations they make (the ground truth
/// never changes; `duologue_data::channel`).
#[derive(clap::Args, Debug, Clone)]
pub struct AugmentArgs {
    /// Probability of room reverberation per clip.
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    pub p_reverb: f32,
    /// Probability of background noise per clip (10-40 dB SNR).
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    pub p_noise: f32,
    /// Probability of a microphone colouring per clip (low shelf, peak and high shelf, each
    /// within +-6 dB).
    #[arg(long, default_value_t = 0.5, value_parser = fraction)]
    pub p_colour: f32,
    /// Probability of a telephone line per clip (300-3400 Hz, 8 kHz G.711 mu-law).
    #[arg(long, default_value_t = 0.1, value_parser = fraction)]
    pub p_telephone: f32,
    /// Probability of a lossy codec per clip (MP3 24-64 kbit/s or Opus 12-32 kbit/s, through
    /// ffmpeg).
    #[arg(long, default_value_t = 0.15, value_parser = fraction)]
    pub p_codec: f32,
    /// Lowest peak level of a clip in dBFS; levels are drawn between it and -1 dBFS.
    #[arg(long, default_value_t = -30.0, allow_hyphen_values = true)]
    pub min_level_db: f32,
    /// No augmentation at all: dry, no noise, full band, peak at 0.9 (overrides the options
    /// above).
    #[arg(long)]
    pub clean: bool,
}

impl AugmentArgs {
    /// (p_reverb, p_noise) and the channel's odds.
    pub fn odds(&self) -> ((f32, f32), duologue_data::channel::ChannelOdds) {
        use duologue_data::channel::ChannelOdds;
        if self.clean {
            return ((0.0, 0.0), ChannelOdds::clean());
        }
        let channel = ChannelOdds {
            p_colour: self.p_colour,
            p_telephone: self.p_telephone,
            p_codec: self.p_codec,
            level_dbfs: (self.min_level_db, -1.0),
        };
        ((self.p_reverb, self.p_noise), channel)
    }
}
