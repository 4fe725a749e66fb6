#!/usr/bin/env bash
# The paper's Table 3 (ablations) at small scale on CPU (paper §4.3, Table 3). Simulates a small dataset,
# trains every row with configs/tiny.toml for a few hundred steps, evaluates each run on the
# conversations' test split with `duologue eval --model ... --data ... --clips N --json`, and
# writes OUT/table3.md. Rows (crates/model/README.md, "Ablations"):
#
#   Single-Person Only  stage 1 + 2 on monologues (`simulate --single`), --ablate single-person
#   w/o 2nd Stage       the full model's stage-1 run, evaluated before stage 2
#   w/o Speaker Emb.    --ablate no-role        (model.role_embedding = false), both stages
#   w/o Cross-Attn      --ablate no-cross-attn  (model.cross_attention = false), both stages
#   w/o Gaze Loss       --ablate no-gaze        (train.loss.gaze = 0), both stages
#   Full Model          stage 1 on conversations, stage 2 (lip fine-tuning) on conversations + dubbing
#
# Usage: scripts/ablations.sh [OUT]   (default OUT: ./ablations; rerunning skips finished steps)
# Environment: DUOLOGUE (binary; default target/debug/duologue, built if missing), CONFIG,
# STEPS (stage 1, default 300), STEPS2 (stage 2, default 100), CLIPS / MONO / DUB (dataset
# sizes, default 40 each), CLIP_SECONDS (4), EVAL_CLIPS (8), EVAL_ARGS (extra `duologue eval`
# flags, default "--baselines none": the table needs only the model), ONLY (space-separated row ids to
# run, e.g. "full no-gaze"; default all), SKIP_EVAL=1 (train only).
# At the defaults this takes tens of minutes on 2 cores; the numbers show the pipeline works,
# they are not the paper's (tiny model, simulated data, parameter-space FD; see crates/eval).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-ablations}
CONFIG=${CONFIG:-$ROOT/configs/tiny.toml}
STEPS=${STEPS:-300}
STEPS2=${STEPS2:-100}
CLIPS=${CLIPS:-40}
MONO=${MONO:-40}
DUB=${DUB:-40}
CLIP_SECONDS=${CLIP_SECONDS:-4}
EVAL_CLIPS=${EVAL_CLIPS:-8}
ONLY=${ONLY:-}
EVAL_ARGS=${EVAL_ARGS---baselines none}
BIN=${DUOLOGUE:-$ROOT/target/debug/duologue}

if [ ! -x "$BIN" ]; then
    (cd "$ROOT" && cargo build --bin duologue)
fi
command -v jq >/dev/null || { echo "ablations.sh needs jq (apt-get install jq; scripts/setup.sh)" >&2; exit 1; }

DATA=$OUT/data
RUNS=$OUT/runs
mkdir -p "$DATA" "$RUNS"
log() { echo "[ablations $(date +%H:%M:%S)] $*" >&2; }

# Datasets: conversations (training + the test split every row is scored on), monologues
# (single-person data and the dubbing sources) and dubbed pseudo-conversations (stage 2).
dataset() {
    local dir=$1
    shift
    if [ -f "$dir/manifest.jsonl" ]; then
        log "have $dir"
    else
        log "making $dir"
        "$BIN" "$@" --out "$dir"
    fi
}
split=(--val 0.15 --test 0.2)
dataset "$DATA/conv" simulate --clips "$CLIPS" --seconds "$CLIP_SECONDS" --seed 1 "${split[@]}"
dataset "$DATA/mono" simulate --single --clips "$MONO" --seconds "$CLIP_SECONDS" --seed 2 "${split[@]}"
dataset "$DATA/dub" dub --sources "$DATA/mono" --clips "$DUB" --frames $((CLIP_SECONDS * 25)) --seed 3

wanted() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

# The inference weights of a run: best-validating EMA weights, else the last checkpoint.
weights() {
    if [ -f "$RUNS/$1/best.safetensors" ]; then
        echo "$RUNS/$1/best.safetensors"
    else
        echo "$RUNS/$1/checkpoint.safetensors"
    fi
}

# train RUN ARGS...: one `duologue train` run, skipped when it finished before.
train() {
    local run=$1
    shift
    if [ -f "$RUNS/$run/DONE" ]; then
        log "have run $run"
        return
    fi
    log "training $run: $*"
    # An unfinished run from before is started again (--overwrite).
    "$BIN" train --config "$CONFIG" --out "$RUNS/$run" --overwrite "$@"
    touch "$RUNS/$run/DONE"
}

# row ID ABLATE STAGE1-DATA STAGE2-DATA: stage 1 (ID-s1) then stage 2 (ID) from its weights.
row() {
    local id=$1 ablate=$2 d1=$3 d2=$4
    local flags=()
    [ -n "$ablate" ] && flags=(--ablate "$ablate")
    local s1=()
    for d in $d1; do s1+=(--data "$DATA/$d"); done
    local s2=()
    for d in $d2; do s2+=(--data "$DATA/$d"); done
    train "$id-s1" "${s1[@]}" --steps "$STEPS" "${flags[@]}"
    train "$id" "${s2[@]}" --stage 2 --init "$(weights "$id-s1")" --steps "$STEPS2" "${flags[@]}"
}

wanted single && row single single-person mono mono
wanted no-role && row no-role no-role conv "conv dub"
wanted no-cross-attn && row no-cross-attn no-cross-attn conv "conv dub"
wanted no-gaze && row no-gaze no-gaze conv "conv dub"
# The full model's stage-1 run is also the "w/o 2nd Stage" row.
{ wanted full || wanted no-stage2; } && row full "" conv "conv dub"

if [ -n "${SKIP_EVAL:-}" ]; then
    log "SKIP_EVAL set: runs are in $RUNS"
    exit 0
fi

# Table 3's rows in the paper's order: label and run.
rows=(
    "Single-Person Only|single"
    "w/o 2nd Stage|full-s1"
    "w/o Speaker Emb.|no-role"
    "w/o Cross-Attn|no-cross-attn"
    "w/o Gaze Loss|no-gaze"
    "Full Model (Ours)|full"
)
table=$OUT/table3.md
{
    echo "# Table 3 at small scale ($(basename "$CONFIG"), $STEPS + $STEPS2 steps, $EVAL_CLIPS test clips)"
    echo
    echo "FD and P-FD on motion parameters (crates/eval), MSE in raw units (EXP coefficient², TRAN m², ROT rad²)."
    echo "Lower is better everywhere."
    echo
    echo "| Ablation Setting | FD | P-FD | EXP | TRAN | ROT |"
    echo "|---|---|---|---|---|---|"
} >"$table"
for r in "${rows[@]}"; do
    label=${r%%|*}
    run=${r#*|}
    if [ ! -f "$RUNS/$run/DONE" ]; then
        echo "| $label | not run | | | | |" >>"$table"
        continue
    fi
    json=$RUNS/$run/eval.json
    if [ ! -s "$json" ]; then
        log "evaluating $run"
        "$BIN" eval --model "$(weights "$run")" --data "$DATA/conv" --clips "$EVAL_CLIPS" $EVAL_ARGS --json >"$json.tmp"
        mv "$json.tmp" "$json"
    fi
    # Dataset mode reports per method ("model" is the checkpoint); a single-result report has
    # the fields at the top level.
    jq -r --arg row "$label" '(.methods.model // .) as $m
        | [$row, $m.fd_params, $m.pfd_params, $m.mse.EXP, $m.mse.TRANSL, $m.mse.ROT]
        | map(if . == null then "n/a" else tostring end) | @tsv' "$json" |
        awk -F'\t' '{ printf "| %s", $1; for (i = 2; i <= NF; i++) { if ($i == "n/a") printf " | n/a"; else printf " | %.4g", $i } print " |" }' >>"$table"
done
cat "$table"
log "wrote $table"
