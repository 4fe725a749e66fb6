//! `duologue`: the command-line front end. Parses arguments, calls the libraries, prints.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cmd;
mod ui;

#[derive(Parser)]
#[command(
    name = "duologue",
    version,
    about = "Two people's 3D facial performance from one conversation recording"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print a summary of a result file (.npz).
    Info(cmd::info::Args),
    /// Per-frame speaker masks m_A, m_B (25 fps) of a conversation recording.
    Masks(cmd::masks::Args),
    /// Export a result: animated .glb, ARKit curves (CSV/JSON), preview MP4, PNG stills.
    Export(cmd::export::Args),
    /// Inspect the face model: list components, write the mean head as OBJ, render a tour.
    Face(cmd::face::Args),
    /// Simulate two-person conversations (espeak-ng) as training shards.
    Simulate(cmd::simulate::Args),
    /// Synthetic dubbing: pseudo-conversations from single-speaker clips.
    Dub(cmd::dub::Args),
    /// The paper's metrics for a predicted result against its ground truth.
    Eval(cmd::eval::Args),
    /// Train the dual-stream diffusion model on simulated / dubbed datasets.
    Train(cmd::train::Args),
    /// Inspect training datasets (stats, extract a clip).
    Data(cmd::data::Args),
    /// Text to the two people's 3D head positions (LLM few-/zero-shot, offline kNN, presets).
    Layout(cmd::layout::Args),
    /// Audio (+ layout) to both people's 3D performance: RESULT.npz and exports.
    Generate(cmd::generate::Args),
    /// Try it: a built-in conversation through the default model into ./duologue-demo/.
    Demo(cmd::demo::Args),
    /// Wall time, peak memory and real-time factor of `generate` on this machine.
    Bench(cmd::bench::Args),
    /// One clip as an SVG: mouth opening vs audio energy, gaze to the partner, speaker masks.
    Plot(cmd::plot::Args),
    /// Both animated heads of a result in the browser (127.0.0.1), with the audio.
    View(cmd::view::Args),
    /// The viewer plus an HTTP API: upload a recording, follow the job, fetch its files.
    Serve(cmd::serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(args) => cmd::info::run(args),
        Command::Masks(args) => cmd::masks::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Face(args) => cmd::face::run(args),
        Command::Simulate(args) => cmd::simulate::run(args),
        Command::Dub(args) => cmd::dub::run(args),
        Command::Data(args) => cmd::data::run(args),
        Command::Train(args) => cmd::train::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Layout(args) => cmd::layout::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Demo(args) => cmd::demo::run(args),
        Command::Bench(args) => cmd::bench::run(args),
        Command::Plot(args) => cmd::plot::run(args),
        Command::View(args) => cmd::view::run(args),
        Command::Serve(args) => cmd::serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
