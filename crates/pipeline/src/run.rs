//! One whole generation, stage by stage (DESIGN §1–3, §6): load the model, decode the
//! recording(s), speaker masks and log-mel with the layout and identities, sample window by
//! window, write `STEM.npz` and the exports. `duologue generate`, `duologue demo` and the
//! generate benchmark all run exactly this; what they show of it comes through [`Event`]s.

use crate::{
    generate_until, load_model, random_betas, read_audio, resolve_layout, write_mix_wav, AudioInput,
    Conditioning, GenerateOptions, LayoutSpec, PipelineError, Result,
};
use duologue_audio::mask::summarize;
use duologue_audio::{MaskOptions, MixReport, Warning};
use duologue_export::{write_exports_into, Format, Morphs, RenderOptions, Settings, Shot, Written};
use duologue_layout::{Layout, LlmClient};
use duologue_model::Generator;
use duologue_params::atomic::Staging;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// One generation: everything decided before the pipeline runs.
pub struct Job {
    /// The recording(s).
    pub input: AudioInput,
    /// A checkpoint file, or None for the embedded default model.
    pub model: Option<PathBuf>,
    /// Where the heads stand.
    pub layout: LayoutSpec,
    /// The LLM for text layouts, if configured.
    pub llm: Option<LlmClient>,
    /// Steps, guidance, seed.
    pub opts: GenerateOptions,
    /// Identities (A, B), `[50]` each; None: random from the seed.
    pub identities: Option<(Vec<f32>, Vec<f32>)>,
    /// Cap on each input file's length, seconds.
    pub max_seconds: f64,
    /// Output folder.
    pub out: PathBuf,
    /// Exports besides the .npz.
    pub formats: Vec<Format>,
    /// The glb's morph targets.
    pub morphs: Morphs,
    /// Frame rate of the ARKit curves (None: the result's).
    pub arkit_fps: Option<f32>,
    /// How the preview frames the two people (default: Auto).
    pub camera: Shot,
    /// Name of the result files (None: the recording's file stem).
    pub name: Option<String>,
    /// Raised by another thread to stop the job (between stages and windows) with
    /// [`PipelineError::Cancelled`].
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Job {
    /// A job for `input` with the defaults `generate` has without flags: the built-in model,
    /// no LLM, the checkpoint's steps and guidance, seed 0, random identities, the default
    /// length cap, no exports, results named after the recording.
    pub fn new(input: AudioInput, layout: LayoutSpec, out: PathBuf) -> Self {
        Self {
            input,
            model: None,
            layout,
            llm: None,
            opts: GenerateOptions::default(),
            identities: None,
            max_seconds: crate::DEFAULT_MAX_MINUTES * 60.0,
            out,
            formats: Vec::new(),
            morphs: Morphs::default(),
            arkit_fps: None,
            camera: Shot::Auto,
            name: None,
            cancel: None,
        }
    }

    /// `duologue demo`: the built-in clip (written into `out`, where the MP4 muxes it and it can
    /// be listened to) through the built-in model, laid out by `layout`, offline on purpose.
    pub fn demo(out: PathBuf, layout: &str) -> Result<Self> {
        std::fs::create_dir_all(&out)
            .map_err(|source| PipelineError::CreateDir { path: out.clone(), source })?;
        let clip = out.join(crate::DEMO_CLIP_NAME);
        std::fs::write(&clip, crate::DEMO_CLIP)
            .map_err(|source| PipelineError::Write { path: clip.clone(), source })?;
        Ok(Self::new(AudioInput::Mixed(clip), LayoutSpec::Text(layout.to_string()), out))
    }
}

/// The stages of a generation, in order (each reported when it ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The model is loaded.
    Load,
    /// The recording is decoded to 16 kHz.
    Decode,
    /// Layout, speaker masks and log-mel features are ready.
    Condition,
    /// Both people are sampled.
    Sample,
    /// The result .npz is written.
    WriteNpz,
    /// The exports are written (reported only when there are some).
    Exports,
}

impl Stage {
    /// A short name for reports (`load`, `decode`, `masks_features`, `sample`, `write_npz`,
    /// `exports`).
    pub fn name(self) -> &'static str {
        match self {
            Stage::Load => "load",
            Stage::Decode => "decode",
            Stage::Condition => "masks_features",
            Stage::Sample => "sample",
            Stage::WriteNpz => "write_npz",
            Stage::Exports => "exports",
        }
    }
}

/// What a generation reports while it works.
#[derive(Debug)]
pub enum Event<'a> {
    /// A stage ended.
    Stage(Stage),
    /// Something the user should know; also kept in [`Outcome::warnings`].
    Warning(&'a str),
    /// `done` of `total` DDIM steps over all windows.
    Sampling {
        /// Steps done.
        done: usize,
        /// Steps in all.
        total: usize,
    },
    /// An export's progress or warning.
    Export(duologue_export::Event<'a>),
}

/// What a generation wrote.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The result .npz.
    pub result: PathBuf,
    /// Frames (25 fps).
    pub frames: usize,
    /// Seconds.
    pub seconds: f32,
    /// Which model ran (a path or the embedded model's label).
    pub model: String,
    /// The resolved layout.
    pub layout: Layout,
    /// Every warning reported on the way.
    pub warnings: Vec<String>,
    /// The exports.
    pub files: Vec<Written>,
    /// Windows sampled.
    pub windows: usize,
    /// DDIM steps per window.
    pub steps: usize,
    /// Whether anyone speaks (a mask reaches 0.5 somewhere).
    pub speech_found: bool,
    /// Who speaks when, and how sure the split of a mixed recording is.
    pub masks: MaskReport,
}

/// The speaker masks a generation was conditioned on, summed up.
#[derive(Debug, Clone)]
pub struct MaskReport {
    /// Seconds A speaks (m_A >= 0.5).
    pub speaking_a: f32,
    /// Seconds B speaks.
    pub speaking_b: f32,
    /// Seconds both speak.
    pub overlap: f32,
    /// Turns.
    pub turns: usize,
    /// What splitting one mixed track found (None for two tracks).
    pub mix: Option<MixReport>,
}

impl MaskReport {
    fn new(cond: &Conditioning, mix: Option<MixReport>) -> Self {
        let s = summarize(&cond.m_a, &cond.m_b);
        Self { speaking_a: s.speaking_a, speaking_b: s.speaking_b, overlap: s.overlap, turns: s.turns, mix }
    }

    /// `{"speaking_A", "speaking_B", "overlap", "turns", "mix"}` (seconds).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "speaking_A": self.speaking_a,
            "speaking_B": self.speaking_b,
            "overlap": self.overlap,
            "turns": self.turns,
            "mix": self.mix.as_ref().map(MixReport::to_json),
        })
    }
}

impl Outcome {
    /// The summary as JSON: result, frames, seconds, model, layout, warnings, files, masks.
    pub fn to_json(&self) -> serde_json::Value {
        let files: Vec<_> = self
            .files
            .iter()
            .map(|w| serde_json::json!({"kind": w.kind, "path": w.path.display().to_string()}))
            .collect();
        serde_json::json!({
            "result": self.result.display().to_string(),
            "frames": self.frames,
            "seconds": self.seconds,
            "model": self.model,
            "layout": {"A": self.layout.a, "B": self.layout.b},
            "warnings": self.warnings,
            "files": files,
            "masks": self.masks.to_json(),
        })
    }
}

/// Runs `job`: results named after the recording (talk.wav -> talk.npz, talk.glb, talk_A.csv,
/// ...) in `job.out`.
pub fn execute(job: Job, on: &mut dyn FnMut(Event<'_>)) -> Result<Outcome> {
    if job.opts.steps == Some(0) {
        return Err(PipelineError::Input("--steps must be at least 1".into()));
    }
    // Bad positions or presets fail before the model loads (cheap to check twice; text is
    // resolved once, in execute_with, where it may reach the LLM).
    if matches!(job.layout, LayoutSpec::Positions(_) | LayoutSpec::Preset(_)) {
        resolve_layout(&job.layout, None)?;
    }
    let (generator, model) = load_model(job.model.as_deref())?;
    execute_with(job, &generator, &model, on)
}

/// [`execute`] with a model already loaded (`label` names it in the outcome); `job.model` is
/// not read. `duologue serve` loads its model once and runs every job through it.
pub fn execute_with(
    mut job: Job,
    generator: &Generator,
    label: &str,
    on: &mut dyn FnMut(Event<'_>),
) -> Result<Outcome> {
    if job.opts.steps == Some(0) {
        return Err(PipelineError::Input("--steps must be at least 1".into()));
    }
    let cancel = job.cancel.clone();
    let stopped = move || cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed));
    let check = |stopped: &dyn Fn() -> bool| if stopped() { Err(PipelineError::Cancelled) } else { Ok(()) };
    let mut warnings: Vec<String> = Vec::new();
    let mut warn = |w: String, on: &mut dyn FnMut(Event<'_>)| {
        on(Event::Warning(&w));
        warnings.push(w);
    };
    // Bad positions or presets and a bad --model fail before any decoding work.
    let (layout, notes) = resolve_layout(&job.layout, job.llm.take())?;
    let model = label.to_string();
    on(Event::Stage(Stage::Load));
    check(&stopped)?;
    let main = job.input.main_path().to_path_buf();
    let decoded = read_audio(&job.input, job.max_seconds)?;
    for w in &decoded.warnings {
        warn(format!("{}: {w}", main.display()), on);
    }
    on(Event::Stage(Stage::Decode));
    check(&stopped)?;
    for n in notes {
        warn(n, on);
    }
    let l = generator.config().model.frames;
    let betas = job.identities.clone().unwrap_or_else(|| random_betas(job.opts.seed));
    let features =
        duologue_audio::extractor(&generator.config().model.features).map_err(PipelineError::Features)?;
    let (cond, mix) = Conditioning::from_audio_report(
        &decoded.tracks,
        &layout,
        betas,
        &MaskOptions::default(),
        features.as_ref(),
        l,
    )
    .map_err(|e| PipelineError::Recording { path: main.clone(), source: Box::new(e) })?;
    if let Some(why) = mix.as_ref().and_then(|m| m.one_voice.as_ref()) {
        warn(format!("{}: {}", main.display(), Warning::OneVoice { why: why.clone() }), on);
    }
    let masks = MaskReport::new(&cond, mix);
    match cond.speaks() {
        [false, false] => {
            warn(format!("no speech found in {}; both people listen (idle) throughout", main.display()), on)
        }
        [true, false] => warn("B never speaks; B listens throughout".into(), on),
        [false, true] => warn("A never speaks; A listens throughout".into(), on),
        [true, true] => {}
    }
    on(Event::Stage(Stage::Condition));
    let steps = job.opts.steps.unwrap_or(generator.config().sample.steps);
    let windows = crate::window_starts(&cond, l, job.opts.overlap.unwrap_or(l / 5)).len();
    let duo = generate_until(
        generator,
        &cond,
        &job.opts,
        &mut |done, total| on(Event::Sampling { done, total }),
        &stopped,
    )?;
    on(Event::Stage(Stage::Sample));
    check(&stopped)?;
    // The .npz and the exports are written into a staging folder and moved into `out` together
    // at the end: an error or a cancel on the way leaves the previous run's files as they were.
    let staging = Staging::new(&job.out)
        .map_err(|source| PipelineError::CreateDir { path: job.out.clone(), source })?;
    let stem = job.name.clone().unwrap_or_else(|| {
        main.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "result".into())
    });
    let result = job.out.join(format!("{stem}.npz"));
    duo.write(&staging.path().join(format!("{stem}.npz")))?;
    on(Event::Stage(Stage::WriteNpz));
    // The preview's soundtrack: the recording itself, or both people's tracks mixed into a
    // temporary file that is removed when this function returns.
    let mix = match &job.input {
        AudioInput::Tracks(..) if job.formats.contains(&Format::Mp4) => {
            let file = tempfile::Builder::new()
                .prefix(&format!("duologue-{stem}-mix"))
                .suffix(".wav")
                .tempfile()
                .map_err(|source| PipelineError::Write { path: std::env::temp_dir(), source })?;
            write_mix_wav(file.path(), &decoded.tracks)?;
            Some(file)
        }
        _ => None,
    };
    // The decoded audio is not needed any more: free it before rendering.
    drop(decoded);
    let audio = mix.as_ref().map_or_else(|| main.clone(), |m| m.path().to_path_buf());
    let settings = Settings {
        audio: Some(audio),
        render: RenderOptions { shot: job.camera, ..RenderOptions::default() },
        morphs: job.morphs,
        arkit_fps: job.arkit_fps,
        ..Settings::default()
    };
    let files = if job.formats.is_empty() {
        // Nothing is called: even an empty export list would load the face model.
        Vec::new()
    } else {
        let files = write_exports_into(&duo, &stem, staging.path(), &job.formats, &settings, &mut |e| {
            on(Event::Export(e))
        })?;
        on(Event::Stage(Stage::Exports));
        files.into_iter().map(|w| Written { path: staging.final_path(&w.path), ..w }).collect()
    };
    check(&stopped)?;
    staging.commit().map_err(|source| PipelineError::Write { path: job.out.clone(), source })?;
    Ok(Outcome {
        result,
        frames: duo.frames(),
        seconds: duo.seconds(),
        model,
        layout,
        warnings,
        files,
        windows,
        steps,
        speech_found: !cond.silent(),
        masks,
    })
}
