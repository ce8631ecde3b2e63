#!/usr/bin/env bash
# Training on data bigger than memory: the benchmark recipe (conf/jobs/fmnist-benchmark.conf, 2 workers on the
# embedded local[2]) for one epoch on the Fashion-MNIST train set repeated to ROWS rows (new ids), tested on the
# 10,000 test images, once per driver heap. Prints per run: the training data path the job chose (the log's
# "train: training data" line), the epoch's seconds, the rounds, the driver's time per round beyond the slowest task
# and the held-out negative ELBO. With a heap too small for the rows the epoch should take about as long as with
# one that holds them, and the per-round overhead should not grow with the rows.
# Needs the build (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist.
# Usage: bench/train-memory.sh [--work DIR] [--rows 600000,1200000] [--heaps 8g,2g] [--set key=value]...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="$ROOT/target/bench-train-memory"
ROWS=600000
HEAPS=8g,2g
SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --work) WORK="$2"; shift 2 ;;
    --rows) ROWS="$2"; shift 2 ;;
    --heaps) HEAPS="$2"; shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    *) echo "train-memory.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bench_require_build
bench_require_fashion_mnist
mkdir -p "$WORK"
bench_import_fashion_mnist "$WORK"
RUN="$ROOT/submit-scripts/sparkvae.sh"
export OMP_WAIT_POLICY=passive
printf '%-9s %-5s %-8s %9s %7s %26s %12s\n' rows heap path epoch_s rounds beyond_slowest_task_ms test_elbo
for rows in ${ROWS//,/ }; do
  [[ -d "$WORK/rows-$rows" ]] || "${BENCH_JAVA[@]}" -Xmx6g dev.sparkvae.bench.RepeatRows "$WORK/train" \
    "$WORK/rows-$rows" "$rows" 4
  for heap in ${HEAPS//,/ }; do
    log="$WORK/train-$rows-$heap.log"
    SPARKVAE_JAVA_OPTS="-Xmx$heap" "$RUN" train --config "$ROOT/conf/jobs/fmnist-benchmark.conf" --epochs 1 \
      --input "$WORK/rows-$rows" --test "$WORK/test" --model "$WORK/model-$rows-$heap" --overwrite \
      --skip-duplicate-check ${SETS[@]+"${SETS[@]}"} >"$log" 2>&1 || { echo "train failed: $log" >&2; exit 1; }
    path="$(sed -n 's/.*train: training data cache \([a-z]*\).*/\1/p' "$log" | head -1)"
    epoch="$(sed -n 's/.*held-out -ELBO \([0-9.]*\), \([0-9.]*\) s .*/\2/p' "$log" | tail -1)"
    elbo="$(sed -n 's/.*held-out -ELBO \([0-9.]*\), .*/\1/p' "$log" | tail -1)"
    rounds="$(sed -n 's/.*rounds: \([0-9]*\) rounds.*/\1/p' "$log" | tail -1)"
    beyond="$(sed -n 's/.*, Spark \([0-9.]*\)); per task.*/\1/p' "$log" | tail -1)"
    printf '%-9s %-5s %-8s %9s %7s %26s %12s\n' "$rows" "$heap" "${path:-?}" "$epoch" "$rounds" "$beyond" "$elbo"
  done
done
