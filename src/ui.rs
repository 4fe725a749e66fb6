//! What the command line shows while libraries work: progress bars and warnings on stderr.

use duologue_export::Event;
use duologue_pipeline::{execute, Job, Outcome, PipelineError, Stage};
use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar for `total` items of `what`.
pub fn bar(total: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({eta} left)")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar
}

/// A progress bar for `total` steps, with the elapsed time, an estimate and a message.
pub fn steps_bar(total: usize, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} [{{elapsed_precise}}<{{eta_precise}}] {{msg}}");
    bar.set_style(ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}

/// Shows a library's progress events as one bar per kind of work (a new bar when the work
/// changes) and prints its warnings.
#[derive(Default)]
pub struct Progress {
    current: Option<(String, ProgressBar)>,
}

impl Progress {
    /// Handles one event.
    pub fn show(&mut self, event: Event<'_>) {
        match event {
            Event::Progress { what, done, total } => {
                if self.current.as_ref().is_none_or(|(w, _)| w != what) {
                    self.finish();
                    self.current = Some((what.to_string(), bar(total, what)));
                }
                if let Some((_, b)) = &self.current {
                    b.set_length(total as u64);
                    b.set_position(done as u64);
                }
            }
            Event::Warning(w) => eprintln!("warning: {w}"),
        }
    }

    /// Clears the bar shown last.
    pub fn finish(&mut self) {
        if let Some((_, b)) = self.current.take() {
            b.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Runs `job` with a progress bar for sampling and the exports; warnings go to stderr as they
/// come. A recording over the cap points at `--max-minutes`.
pub fn run_job(job: Job) -> anyhow::Result<Outcome> {
    let sampling = bar(1, "sampling");
    let mut exports = Progress::default();
    let outcome = execute(job, &mut |event| match event {
        duologue_pipeline::Event::Warning(w) => eprintln!("warning: {w}"),
        duologue_pipeline::Event::Sampling { done, total } => {
            sampling.set_length(total as u64);
            sampling.set_position(done as u64);
        }
        duologue_pipeline::Event::Stage(Stage::Sample) => sampling.finish_and_clear(),
        duologue_pipeline::Event::Stage(_) => {}
        duologue_pipeline::Event::Export(e) => exports.show(e),
    });
    sampling.finish_and_clear();
    exports.finish();
    outcome.map_err(|e| match e {
        PipelineError::TooLong { .. } => anyhow::anyhow!("{e} (raise it with --max-minutes)"),
        e => e.into(),
    })
}

/// Prints what a generation wrote: lines for people, or one JSON object.
pub fn report(o: &Outcome, json: bool) {
    if json {
        println!("{}", o.to_json());
    } else {
        println!("result: {} ({} frames, {:.1} s)", o.result.display(), o.frames, o.seconds);
        for w in &o.files {
            println!("{}: {}{}", w.kind, w.path.display(), w.note);
        }
    }
}
