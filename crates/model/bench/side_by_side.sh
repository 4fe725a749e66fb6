#!/bin/sh
# Side-by-side speed of duologue-model (burn, flex CPU backend) and its PyTorch twin on the
# same machine: generation of a 10 s window (8 DDIM steps + guidance) and training samples/s
# for configs/paper.toml and configs/cpu.toml. Run from the repository root:
#   sh crates/model/bench/side_by_side.sh [BURN_BENCH_BINARY] [THREADS]
# BURN_BENCH_BINARY defaults to building it: cargo bench -p duologue-model --bench model --no-run.
# THREADS (default: all cores) caps both frameworks (RAYON_NUM_THREADS / torch.set_num_threads).
set -e
BIN=${1:-}
THREADS=${2:-$(nproc)}
# Both trainers include the vertex-velocity loss through the face model, as duologue train does.
ARGS="--gen-reps 3 --train-steps 5 --batch 4 --velocity"
if [ -z "$BIN" ]; then
  BIN=$(cargo bench -p duologue-model --bench model --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p' | tail -1)
fi
echo "== $(nproc) cores, $THREADS threads, load: $(cut -d' ' -f1-3 /proc/loadavg)"
RAYON_NUM_THREADS=$THREADS "$BIN" cpu paper $ARGS --configs configs
python3 crates/model/bench/torch_model.py cpu paper $ARGS --threads "$THREADS"
