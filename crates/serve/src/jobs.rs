//! `duologue serve`'s jobs: uploads waiting in a bounded queue, one worker thread that owns the
//! model (loaded once) and runs them one at a time through the generate pipeline, their
//! progress, files and cancellation.

use crate::library::{self, Library};
use duologue_export::{Format, Shot};
use duologue_pipeline::{
    execute_with, AudioInput, Event, GenerateOptions, Job, LayoutSpec, PipelineError, Stage,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use std::time::Instant;

/// What the service accepts.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest upload, bytes (413 above).
    pub max_upload_bytes: usize,
    /// Longest recording, seconds (413 above).
    pub max_seconds: f64,
    /// Jobs that may wait for the worker (429 when that many are waiting).
    pub queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_upload_bytes: 64 << 20, max_seconds: 600.0, queue: 4 }
    }
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for the worker.
    Queued,
    /// Being generated.
    Running,
    /// Finished; its files are ready.
    Done,
    /// Stopped with an error.
    Failed,
    /// Stopped on request.
    Cancelled,
}

impl JobState {
    /// Lower-case name for the API.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// The state [`JobState::name`] names (as a client reads it from the API).
    pub fn from_name(name: &str) -> Option<JobState> {
        [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed, JobState::Cancelled]
            .into_iter()
            .find(|s| s.name() == name)
    }

    /// Whether the job will not change any more.
    pub fn finished(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed | JobState::Cancelled)
    }
}

/// What the user asked for with an upload.
#[derive(Debug, Clone)]
pub struct Request {
    /// Name of the results (the upload's file stem).
    pub name: String,
    /// The uploaded recording, on disk.
    pub audio: PathBuf,
    /// Where the heads stand (a sentence, a preset, positions, or the default).
    pub layout: LayoutSpec,
    /// Seed of the noise and identities.
    pub seed: u64,
    /// DDIM steps (None: the model's).
    pub steps: Option<usize>,
    /// Exports besides the .npz.
    pub formats: Vec<Format>,
    /// The preview's camera.
    pub camera: Shot,
}

#[derive(Debug)]
struct Record {
    id: String,
    request: Request,
    state: JobState,
    stage: &'static str,
    progress: f32,
    error: Option<String>,
    files: Vec<(String, PathBuf)>,
    result: Option<String>,
    cancel: Arc<AtomicBool>,
    seconds: Option<f64>,
}

impl Record {
    fn to_json(&self) -> Value {
        let files: Vec<Value> = self
            .files
            .iter()
            .map(|(kind, path)| {
                let name = file_name(path);
                json!({ "kind": kind, "name": name, "url": format!("/api/jobs/{}/files/{name}", self.id) })
            })
            .collect();
        json!({
            "id": self.id,
            "name": self.request.name,
            "state": self.state.name(),
            "stage": self.stage,
            "progress": self.progress,
            "error": self.error,
            "files": files,
            "result": self.result,
            "seconds": self.seconds,
        })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Why a job was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// As many jobs as the queue holds are waiting.
    QueueFull(usize),
    /// The worker has stopped (its model failed to load, or it panicked).
    WorkerGone,
}

/// Why a job could not be cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelError {
    /// No such job.
    Unknown,
    /// It has already finished (in this state).
    Finished(JobState),
}

#[derive(Debug, Default)]
struct Table {
    jobs: HashMap<String, Record>,
    order: Vec<String>,
    waiting: usize,
    next: u64,
}

/// The queue and the worker.
#[derive(Debug)]
pub struct Jobs {
    table: Arc<Mutex<Table>>,
    tx: Mutex<mpsc::Sender<String>>,
    limits: Limits,
    work: PathBuf,
    /// Which model the worker runs.
    pub model: String,
}

impl Jobs {
    /// Starts the worker: it loads the model (`model`: a checkpoint, or None for the built-in
    /// one) and then runs jobs as they come, writing each into its own folder under `work`, and
    /// adds every finished result to `library`. Returns once the model is loaded.
    pub fn start(
        model: Option<PathBuf>,
        work: PathBuf,
        limits: Limits,
        library: Arc<RwLock<Library>>,
    ) -> Result<Arc<Jobs>, PipelineError> {
        std::fs::create_dir_all(&work)
            .map_err(|source| PipelineError::CreateDir { path: work.clone(), source })?;
        let (tx, rx) = mpsc::channel::<String>();
        let (ready_tx, ready_rx) = mpsc::channel();
        let table = Arc::new(Mutex::new(Table::default()));
        let worker_table = table.clone();
        std::thread::Builder::new()
            .name("duologue-serve-worker".into())
            .spawn(move || {
                let (generator, label) = match duologue_pipeline::load_model(model.as_deref()) {
                    Ok(g) => {
                        let _ = ready_tx.send(Ok(g.1.clone()));
                        g
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                for id in rx {
                    run_one(&worker_table, &library, &generator, &label, &id);
                }
            })
            .map_err(|source| PipelineError::Write { path: work.clone(), source })?;
        let model = ready_rx
            .recv()
            .unwrap_or_else(|_| Err(PipelineError::Input("the model worker stopped while loading".into())))?;
        Ok(Arc::new(Jobs { table, tx: Mutex::new(tx), limits, work, model }))
    }

    /// The limits this service runs under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// A fresh folder for the next job's upload and results, and its id.
    pub fn reserve(&self) -> std::io::Result<(String, PathBuf)> {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let id = format!("j{}", t.next);
            t.next += 1;
            let dir = self.work.join(&id);
            // Never reuse a folder that exists (an earlier run's results in the same --work).
            match std::fs::create_dir(&dir) {
                Ok(()) => return Ok((id, dir)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Queues `request` as job `id` (from [`Jobs::reserve`]); refused when the queue is full.
    pub fn submit(&self, id: String, request: Request) -> Result<Value, Refusal> {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        if t.waiting >= self.limits.queue {
            return Err(Refusal::QueueFull(self.limits.queue));
        }
        let record = Record {
            id: id.clone(),
            request,
            state: JobState::Queued,
            stage: "queued",
            progress: 0.0,
            error: None,
            files: Vec::new(),
            result: None,
            cancel: Arc::new(AtomicBool::new(false)),
            seconds: None,
        };
        let json = record.to_json();
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(id.clone())
            .map_err(|_| Refusal::WorkerGone)?;
        t.waiting += 1;
        t.order.push(id.clone());
        t.jobs.insert(id, record);
        Ok(json)
    }

    /// The job's state as the API shows it.
    pub fn status(&self, id: &str) -> Option<Value> {
        let t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.jobs.get(id).map(Record::to_json)
    }

    /// Every job, oldest first.
    pub fn list(&self) -> Vec<Value> {
        let t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        t.order.iter().filter_map(|id| t.jobs.get(id)).map(Record::to_json).collect()
    }

    /// The path of job `id`'s file `name` (one it wrote; nothing else is reachable).
    pub fn file(&self, id: &str, name: &str) -> Option<PathBuf> {
        let t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let job = t.jobs.get(id)?;
        job.files.iter().map(|(_, p)| p).find(|p| file_name(p) == name).cloned()
    }

    /// Cancels a waiting job at once, or a running one at its next stage or window.
    pub fn cancel(&self, id: &str) -> Result<Value, CancelError> {
        let mut t = self.table.lock().unwrap_or_else(|p| p.into_inner());
        let waiting = t.waiting;
        let job = t.jobs.get_mut(id).ok_or(CancelError::Unknown)?;
        match job.state {
            JobState::Queued => {
                job.state = JobState::Cancelled;
                job.stage = "cancelled";
                let json = job.to_json();
                t.waiting = waiting - 1;
                Ok(json)
            }
            JobState::Running => {
                job.cancel.store(true, Ordering::Relaxed);
                Ok(job.to_json())
            }
            s => Err(CancelError::Finished(s)),
        }
    }
}

/// Runs job `id` if it is still waiting.
fn run_one(
    table: &Mutex<Table>,
    library: &RwLock<Library>,
    generator: &duologue_model::Generator,
    label: &str,
    id: &str,
) {
    let lock = || table.lock().unwrap_or_else(|p| p.into_inner());
    let (request, cancel, out) = {
        let mut t = lock();
        let Some(job) = t.jobs.get_mut(id) else { return };
        if job.state != JobState::Queued {
            return; // cancelled while it waited
        }
        job.state = JobState::Running;
        job.stage = "load";
        let r = (job.request.clone(), job.cancel.clone(), job.request.audio.parent().map(Path::to_path_buf));
        t.waiting -= 1;
        r
    };
    let started = Instant::now();
    let out = out.unwrap_or_else(|| PathBuf::from("."));
    let job = Job {
        opts: GenerateOptions { steps: request.steps, seed: request.seed, ..GenerateOptions::default() },
        formats: request.formats.clone(),
        camera: request.camera,
        name: Some(request.name.clone()),
        cancel: Some(cancel),
        ..Job::new(AudioInput::Mixed(request.audio.clone()), request.layout.clone(), out)
    };
    let set = |stage: &'static str, progress: f32| {
        let mut t = lock();
        if let Some(j) = t.jobs.get_mut(id) {
            j.stage = stage;
            j.progress = progress;
        }
    };
    let outcome = execute_with(job, generator, label, &mut |event| match event {
        Event::Stage(Stage::Load) => set("decode", 0.02),
        Event::Stage(Stage::Decode) => set("masks_features", 0.05),
        Event::Stage(Stage::Condition) => set("sample", 0.1),
        Event::Sampling { done, total } => set("sample", 0.1 + 0.7 * done as f32 / total.max(1) as f32),
        Event::Stage(Stage::Sample) => set("write_npz", 0.8),
        Event::Stage(Stage::WriteNpz) => set("exports", 0.82),
        _ => {}
    });
    // The finished result joins the page's list (its glb built outside the table's lock).
    let finished = outcome.and_then(|o| {
        let entry = library::load(&o.result, Some(request.audio.clone()))
            .map_err(|e| PipelineError::Input(e.to_string()))?;
        Ok((o, entry))
    });
    let mut t = lock();
    let Some(job) = t.jobs.get_mut(id) else { return };
    job.seconds = Some(started.elapsed().as_secs_f64());
    match finished {
        Ok((outcome, entry)) => {
            let result_id = library.write().unwrap_or_else(|p| p.into_inner()).insert(entry);
            job.files = std::iter::once(("npz".to_string(), outcome.result.clone()))
                .chain(outcome.files.iter().map(|w| (w.kind.clone(), w.path.clone())))
                .collect();
            job.state = JobState::Done;
            job.stage = "done";
            job.progress = 1.0;
            job.result = Some(result_id);
        }
        Err(PipelineError::Cancelled) => {
            job.state = JobState::Cancelled;
            job.stage = "cancelled";
        }
        Err(e) => {
            job.state = JobState::Failed;
            job.stage = "failed";
            job.error = Some(error_chain(&e));
        }
    }
    eprintln!(
        "job {id} ({}): {} after {:.1} s{}",
        job.request.name,
        job.state.name(),
        job.seconds.unwrap_or(0.0),
        job.error.as_deref().map(|e| format!(": {e}")).unwrap_or_default()
    );
}

/// An error and its causes, one sentence.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let c_s = c.to_string();
        if !s.contains(&c_s) {
            s.push_str(": ");
            s.push_str(&c_s);
        }
        cur = c.source();
    }
    s
}
