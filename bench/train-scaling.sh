#!/usr/bin/env bash
# Quality as the workers grow: the benchmark recipe (conf/jobs/fmnist-benchmark.conf) trained by the train job for
# the same epochs with W workers, for every W and every averaging scheme, test negative ELBO per epoch, and the
# first epoch at which each run reaches the final figure of the first scheme's first W (the reference). Quality
# only: the W workers share this machine's cores (W partitions, as many tasks at a time as it has cores), which
# changes no figure but the time. Each run goes through bench/train-speed.sh --spark-only (its JSON kept in WORK).
# A scheme is NAME=key=value,key=value (train.* keys); default: plain (the plain average of the recipe, every 64
# minibatches, at the one-worker learning rate) and default (conf/defaults.conf's averaging: the outer step, the
# learning rate scaled by √W, train.averaging-frequency 0, which the recipe sets to 64 for its 2 workers). Needs
# the build (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist.
# Then time to quality: the hours each scheme would take to that −ELBO (or --target's) on 8, 32 and 128 executors
# for 100M rows, as its measured epochs to the target times the epoch time of the cost model of
# bench/train-speed.sh (TrainSpeedReport: rounds × (f × κ·t(b) + O + 2P/B + 2√E·P/B + 1 ms × E)) at the run's
# averaging frequency f, with that model's measured constants (--cost "t0_ms,t1_ms,kappa,O_ms,P_MB"; default: the
# run in bench/RESULTS.md, training speed) and B = 1.25 GB/s. An executor count beyond the largest W measured
# takes that W's epochs and f: a lower bound on its epochs, since quality falls with W.
# Usage: bench/train-scaling.sh [--work DIR] [--epochs N] [--workers "1 2 4 8 16"] [--target NEG_ELBO]
#   [--cost T0,T1,KAPPA,O,P] [--scheme NAME=SETS]...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="$ROOT/target/bench-train-scaling"
EPOCHS=5
WORKERS="1 2 4 8 16"
SCHEMES=()
TARGET=""
COST="5.02,0.0926,1.10,60.3,7.8"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) TARGET="$2"; shift 2 ;;
    --cost) COST="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --scheme) SCHEMES+=("$2"); shift 2 ;;
    *) echo "train-scaling.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#SCHEMES[@]} -gt 0 ]] || SCHEMES=(
  "plain=train.outer-learning-rate=1.0,train.outer-momentum=0.0,train.learning-rate-scaling=none"
  "default=train.averaging-frequency=0")
bench_require_build
bench_require_fashion_mnist
mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"   # the runs link to the first run's data by this path
for scheme in "${SCHEMES[@]}"; do
  name="${scheme%%=*}"
  sets=()
  IFS=',' read -ra pairs <<< "${scheme#*=}"
  for pair in ${pairs[@]+"${pairs[@]}"}; do sets+=(--set "$pair"); done
  for w in $WORKERS; do
    run="$WORK/$name-w$w"
    if [[ ! -f "$run/result.json" ]]; then
      rm -rf "$run"
      mkdir -p "$run"
      # Import Fashion-MNIST once: later runs take the first run's Parquet files.
      for split in train test; do
        [[ -d "$WORK/$split" ]] && ln -s "$WORK/$split" "$run/$split"
      done
      "$ROOT/bench/train-speed.sh" --work "$run" --spark-only --epochs "$EPOCHS" --set "train.workers=$w" \
        ${sets[@]+"${sets[@]}"} > "$WORK/$name-w$w.log" 2>&1 \
        || { echo "train-scaling.sh: the run $name at $w workers failed; see $WORK/$name-w$w.log" >&2; exit 1; }
      cp "$(ls -d "$run"/results-*/ | tail -1)/3-spark-local.json" "$run/result.json"
      for split in train test; do
        [[ -d "$WORK/$split" ]] || mv "$run/$split" "$WORK/$split"
      done
    fi
  done
done
python3 - "$WORK" "$EPOCHS" "$WORKERS" "$TARGET" "$COST" "${SCHEMES[@]}" <<'PY'
import json, math, sys
work, epochs, workers, target = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
t0, t1, kappa, overhead, state_mb = map(float, sys.argv[5].split(','))
schemes = [s.split('=')[0] for s in sys.argv[6:]]
runs = {(name, w): json.load(open(f"{work}/{name}-w{w}/result.json")) for name in schemes for w in workers}
first = float(target) if target else runs[(schemes[0], workers[0])]["epochs_detail"][-1]["test_neg_elbo"]
against = f"{first:.2f}" if target else f"the final figure of {schemes[0]} at W={workers[0]} ({first:.2f})"
print(f"Test negative ELBO (nats) after each of {epochs} epochs; 'vs ref' and 'reaches' (the first epoch at or "
      f"below it) against {against}\n")
print("| scheme | W | rounds/epoch | " + " | ".join(f"epoch {e}" for e in range(1, epochs + 1))
      + " | vs ref | reaches |")
print("| --- | ---: | ---: | " + " | ".join("---:" for _ in range(epochs)) + " | ---: | ---: |")
reaches = {}
for name in schemes:
    for w in workers:
        d = runs[(name, w)]
        elbo = [e["test_neg_elbo"] for e in d["epochs_detail"]]
        reaches[(name, w)] = next((i + 1 for i, v in enumerate(elbo) if v <= first), None)
        print(f"| {name} | {w} | {d['epochs_detail'][-1]['rounds']} | " + " | ".join(f"{v:.2f}" for v in elbo)
              + f" | {100 * (elbo[-1] / first - 1):+.1f}% | {reaches[(name, w)] or f'> {epochs}'} |")

rows, transfer_ms = 100e6, state_mb * 1e6 / 1.25e9 * 1e3
print(f"\nTime to {first:.2f} for {rows:,.0f} rows: t(b) = {t0} + {t1} ms × b, κ = {kappa}, O = {overhead} ms, "
      f"P = {state_mb} MB\n")
print("| scheme | executors | from W | averaging every | epoch | epochs to target | hours to target |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for name in schemes:
    for executors in (8, 32, 128):
        w = max((int(x) for x in workers if int(x) <= executors), default=None)
        if w is None:
            continue
        d = runs[(name, str(w))]
        b, f = d["batch"], d["averaging_frequency"]
        round_ms = (f * kappa * (t0 + t1 * b) + overhead + 2 * transfer_ms
                    + 2 * math.sqrt(executors) * transfer_ms + executors)
        epoch_h = rows / (executors * b * f) * round_ms / 3.6e6
        reach = reaches[(name, str(w))]
        print(f"| {name} | {executors} | {w} | {f} | {epoch_h:.2f} h | {reach or f'> {epochs}'} | "
              + (f"{reach * epoch_h:.2f} h" if reach else f"> {epochs * epoch_h:.2f} h") + " |")
PY
