#!/usr/bin/env bash
# Quality as the workers grow: the benchmark recipe (conf/jobs/fmnist-benchmark.conf) trained by the train job for
# the same epochs with W workers, for every W and every averaging scheme, test negative ELBO per epoch, and the
# first epoch at which each run reaches the final figure of the first scheme's first W (the reference). Quality
# only: the W workers share this machine's cores (W partitions, as many tasks at a time as it has cores), which
# changes no figure but the time. Each run goes through bench/train-speed.sh --spark-only (its JSON kept in WORK).
# A scheme is NAME=key=value,key=value (train.* keys); default: plain (the plain average, every 64 minibatches)
# and the shipped default, as conf/defaults.conf sets it. Needs the build (./mvnw -q -B package -DskipTests) and the
# Debian package dataset-fashion-mnist.
# Usage: bench/train-scaling.sh [--work DIR] [--epochs N] [--workers "1 2 4 8 16"] [--scheme NAME=SETS]...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="$ROOT/target/bench-train-scaling"
EPOCHS=5
WORKERS="1 2 4 8 16"
SCHEMES=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --work) WORK="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --scheme) SCHEMES+=("$2"); shift 2 ;;
    *) echo "train-scaling.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#SCHEMES[@]} -gt 0 ]] || SCHEMES=("plain=train.outer-learning-rate=1.0,train.outer-momentum=0.0,train.averaging-frequency=64" "default=")
bench_require_build
bench_require_fashion_mnist
mkdir -p "$WORK"
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
python3 - "$WORK" "$EPOCHS" "$WORKERS" "${SCHEMES[@]}" <<'PY'
import json, sys
work, epochs, workers, schemes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), [s.split('=')[0] for s in sys.argv[4:]]
print(f"Test negative ELBO (nats) after each of {epochs} epochs; 'vs ref' and 'reaches' (the first epoch at or "
      f"below it) against the final figure of {schemes[0]} at W={workers[0]}\n")
print("| scheme | W | rounds/epoch | " + " | ".join(f"epoch {e}" for e in range(1, epochs + 1))
      + " | vs ref | reaches |")
print("| --- | ---: | ---: | " + " | ".join("---:" for _ in range(epochs)) + " | ---: | ---: |")
first = None
for name in schemes:
    for w in workers:
        d = json.load(open(f"{work}/{name}-w{w}/result.json"))
        elbo = [e["test_neg_elbo"] for e in d["epochs_detail"]]
        if first is None:
            first = elbo[-1]
        reach = next((i + 1 for i, v in enumerate(elbo) if v <= first), None)
        print(f"| {name} | {w} | {d['epochs_detail'][-1]['rounds']} | " + " | ".join(f"{v:.2f}" for v in elbo)
              + f" | {100 * (elbo[-1] / first - 1):+.1f}% | {reach or f'> {epochs}'} |")
PY
