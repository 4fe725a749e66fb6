//! Fuzz harness of safetensors checkpoints (issue 21; README "Reliability"): a real checkpoint
//! of the tiny network (weights, EMA, optimiser state, metadata) damaged and forged, read and
//! loaded into the network its config describes. Zero panics, no allocation past what the file
//! holds (the config is checked against the weights first), every error names the file.
//! Cases: `DUOLOGUE_FUZZ_CASES` (CI: the default, 200).

use duologue_model::burn::prelude::*;
use duologue_model::losses::Stage;
use duologue_model::{Checkpoint, CheckpointMeta, DuoNet, Weights};
use duologue_params::fuzz::run;

mod common;
use common::tiny_with;

#[test]
fn damaged_checkpoints_never_panic_and_errors_name_the_file() {
    let c = tiny_with(16);
    let dev = Device::flex();
    let net = DuoNet::new(&c.model, &dev);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    let meta = CheckpointMeta { config: c.clone(), step: 3, stage: Stage::One, rng: [1, 2, 3, 4] };
    duologue_model::checkpoint::save(&path, &net, Some(&net), Some(b"optimiser bytes"), &meta).unwrap();
    let valid = std::fs::read(&path).unwrap();
    run(
        "checkpoint",
        31,
        |m| m.mutate(&valid),
        |bytes| match Checkpoint::from_bytes(bytes, "damaged.safetensors") {
            Ok(ck) => {
                let net = DuoNet::new(&ck.meta.config.model, &dev);
                match ck.load_into(net, Weights::Ema, false) {
                    Ok(_) => Ok(true),
                    Err(e) if e.to_string().contains("damaged.safetensors") => Ok(false),
                    Err(e) => Err(format!("load error does not name the file: {e}")),
                }
            }
            Err(e) if e.to_string().contains("damaged.safetensors") => Ok(false),
            Err(e) => Err(format!("error does not name the file: {e}")),
        },
    );
}
