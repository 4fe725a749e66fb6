//! One module per subcommand.

pub mod augment;
pub mod bench;
pub mod bench_serve;
pub mod data;
pub mod demo;
pub mod dub;
pub mod eval;
pub mod export;
pub mod face;
pub mod generate;
pub mod info;
pub mod layout;
pub mod masks;
pub mod plot;
pub mod serve;
pub mod simulate;
pub mod train;
pub mod view;

/// What `generate` and `demo` write besides the result .npz, and how they report it.
#[derive(clap::Args)]
pub struct OutputArgs {
    /// Exports besides the result .npz (named after the audio); comma separated.
    #[arg(
        long = "format",
        short = 'f',
        value_enum,
        value_delimiter = ',',
        default_value = "glb,arkit-csv,mp4"
    )]
    pub formats: Vec<duologue_export::Format>,
    /// Print a machine-readable JSON summary instead of lines.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub style: StyleArgs,
}

/// How the glb and the ARKit curves are written (`generate`, `demo`, `export`).
#[derive(clap::Args, Clone, Debug)]
pub struct StyleArgs {
    /// glb morph targets: split (each expression as two non-negative targets, weights in [0, 1]:
    /// what Blender, Unity and most engines play right), signed (the 63 signed components),
    /// arkit (the 52 ARKit shapes by name).
    #[arg(long, value_enum, default_value = "split")]
    pub morphs: duologue_export::Morphs,
    /// Same as --morphs arkit: ARKit-named morph targets in the glb, for retargeting by name.
    #[arg(long, conflicts_with = "morphs")]
    pub arkit_morphs: bool,
    /// Frame rate of the ARKit CSV / JSON, resampled from the result's 25 (Live Link Face
    /// records at 60).
    #[arg(long, value_parser = arkit_fps)]
    pub arkit_fps: Option<f32>,
    /// How the MP4 / PNG preview frames the two people: auto (a two-shot from the side when
    /// both mouths are large enough in it, else split-screen close-ups with the layout inset),
    /// two-shot, split, front (the fixed camera on the -Z side).
    #[arg(long, default_value = "auto", value_parser = camera)]
    pub camera: duologue_export::Shot,
}

impl StyleArgs {
    /// The morph layout asked for.
    pub fn morphs(&self) -> duologue_export::Morphs {
        if self.arkit_morphs {
            duologue_export::Morphs::Arkit
        } else {
            self.morphs
        }
    }
}

/// A preview camera by name (auto, two-shot, split, front).
pub fn camera(text: &str) -> Result<duologue_export::Shot, String> {
    text.parse()
}

/// A frame rate for resampled curves: 1 to 1000.
pub fn arkit_fps(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(v) if (1.0..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!("{text:?} is not a frame rate from 1 to 1000")),
    }
}

/// Where `simulate` and `dub` write a dataset, and how much of it.
#[derive(clap::Args, Debug, Clone)]
pub struct DatasetArgs {
    /// Number of clips to make.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub clips: u64,
    /// Output dataset directory (must not already hold a manifest).
    #[arg(long)]
    pub out: std::path::PathBuf,
    /// Seed: clip i of seed S draws the same choices every time (espeak-ng keeps state between
    /// calls, so its audio and timings can differ slightly).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Clips per tar shard.
    #[arg(long, default_value_t = 256, value_parser = at_least_one)]
    pub clips_per_shard: usize,
}

/// Flags that point duologue at an OpenAI-compatible LLM endpoint (layouts from text). Nothing
/// touches the network unless a URL is given here or in DUOLOGUE_LLM_URL.
#[derive(clap::Args, Debug, Clone)]
pub struct LlmArgs {
    /// OpenAI-compatible endpoint base URL (e.g. http://127.0.0.1:11434/v1); else
    /// DUOLOGUE_LLM_URL. The API key is read only from DUOLOGUE_LLM_API_KEY.
    #[arg(long)]
    pub llm_url: Option<String>,
    /// Model name; else DUOLOGUE_LLM_MODEL.
    #[arg(long)]
    pub llm_model: Option<String>,
    /// Seconds before an LLM request is abandoned (one retry follows, then the offline method):
    /// 0.1 to 600.
    #[arg(long, default_value_t = 30.0, value_parser = llm_timeout)]
    pub llm_timeout: f64,
}

impl LlmArgs {
    /// The endpoint configuration, if one is set by flags or environment.
    pub fn config(&self) -> anyhow::Result<Option<duologue_layout::LlmConfig>> {
        use anyhow::Context;
        let timeout = std::time::Duration::try_from_secs_f64(self.llm_timeout)
            .context("--llm-timeout must be a positive number")?;
        Ok(duologue_layout::LlmConfig::from_flags_and_env(
            self.llm_url.clone(),
            self.llm_model.clone(),
            Some(timeout),
        )?)
    }
}

/// `--device` names (`flex`, `cuda:1`, ...) to burn devices, the first the main one.
pub fn devices(list: &str) -> anyhow::Result<Vec<burn::prelude::Device>> {
    Ok(duologue_model::devices(list)?)
}

/// `300`, `300s`, `45m`, `2h`, `1.5h` -> a duration.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (num, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c),
        _ => (t, 's'),
    };
    let factor = match unit {
        's' => 1.0,
        'm' => 60.0,
        'h' => 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {text:?} (use s, m or h)")),
    };
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(std::time::Duration::from_secs_f64(v * factor)),
        _ => Err(format!("{text:?} is not a positive duration such as 300s, 45m or 2h")),
    }
}

/// A whole number of at least 1 (counts, sizes, steps).
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{text:?} is not a whole number of at least 1")),
    }
}

/// DDIM steps: 1 to 1000 (the paper samples with 8; more than 1000 is the whole schedule).
pub fn ddim_steps(text: &str) -> Result<usize, String> {
    match at_least_one(text)? {
        n if n <= 1000 => Ok(n),
        n => Err(format!("{n} DDIM steps: at most 1000")),
    }
}

/// A classifier-free guidance weight: finite, 0 to 20 (the paper uses 2.5).
pub fn guidance(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(w) if (0.0..=20.0).contains(&w) => Ok(w),
        _ => Err(format!("{text:?} is not a guidance weight from 0 to 20")),
    }
}

/// `LO,HI` with 0 <= LO <= HI <= 1 (a range of diffusion times).
pub fn unit_interval(text: &str) -> Result<[f32; 2], String> {
    let bad = || format!("{text:?} is not LO,HI with 0 <= LO <= HI <= 1");
    let (lo, hi) = text.split_once(',').ok_or_else(bad)?;
    match (lo.trim().parse::<f32>(), hi.trim().parse::<f32>()) {
        (Ok(lo), Ok(hi)) if (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi) && lo <= hi => {
            Ok([lo, hi])
        }
        _ => Err(bad()),
    }
}

/// A probability or fraction: 0 to 1.
pub fn fraction(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a fraction from 0 to 1")),
    }
}

/// A learning rate: a finite number above 0.
pub fn learning_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a learning rate (a number above 0, e.g. 1.5e-4)")),
    }
}

/// An LLM timeout in seconds: 0.1 to 600.
fn llm_timeout(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if (0.1..=600.0).contains(&t) => Ok(t),
        _ => Err(format!("{text:?} is not a timeout from 0.1 to 600 seconds")),
    }
}
