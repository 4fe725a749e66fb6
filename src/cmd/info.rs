//! `duologue info RESULT.npz`: what a result file holds.

use anyhow::Result;
use duologue_params::{Duo, Who};
use std::path::PathBuf;

/// Arguments of `duologue info`.
#[derive(clap::Args)]
pub struct Args {
    /// Result file written by `duologue generate` (or any .npz with x_A, x_B, ... arrays).
    pub result: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<()> {
    let duo = Duo::read(&args.result)?;
    let speaking = |who: Who| duo.person(who).mask.iter().sum::<f32>() / duo.fps;
    if args.json {
        let v = serde_json::json!({
            "frames": duo.frames(),
            "fps": duo.fps,
            "seconds": duo.seconds(),
            "t0_A": duo.a.t0,
            "t0_B": duo.b.t0,
            "speaking_seconds_A": speaking(Who::A),
            "speaking_seconds_B": speaking(Who::B),
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!(
            "{}: {} frames at {} fps ({:.2} s)",
            args.result.display(),
            duo.frames(),
            duo.fps,
            duo.seconds()
        );
        for who in Who::BOTH {
            let p = duo.person(who);
            println!(
                "  {}: t0 = [{:.3}, {:.3}, {:.3}] m, speaking {:.2} s",
                who.letter(),
                p.t0[0],
                p.t0[1],
                p.t0[2],
                speaking(who)
            );
        }
    }
    Ok(())
}
