#!/usr/bin/env bash
# Encode end to end: our encode job on local[2] with each encoder engine, Parquet in and
# out, beside dl4j-spark's feedForwardWithKey on the same data and, in the same run, the compute-only rate of our
# ONNX Runtime engine. Needs the build (./mvnw -q -B package -DskipTests) and the Debian package
# dataset-fashion-mnist (imported here on first use). Keep the machine otherwise idle; it takes a few minutes.
# With RECONSTRUCT_SAMPLES=K in the environment, also our reconstruct job (log_prob with K samples) on each engine.
# Usage: bench/encode-e2e.sh [WORKDIR] [REPEATS]   (default WORKDIR: target/bench-encode, REPEATS: 3)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="${1:-$ROOT/target/bench-encode}"
REPEATS="${2:-3}"
bench_require_build
bench_require_fashion_mnist
mkdir -p "$WORK"
[[ -d "$WORK/train" ]] || "$ROOT/submit-scripts/sparkvae.sh" import --images "$FM/train-images-idx3-ubyte.gz" \
  --labels "$FM/train-labels-idx1-ubyte.gz" --output "$WORK/train" --partitions 4
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
exec "${BENCH_JAVA[@]}" -Xmx6g dev.sparkvae.bench.EncodeEndToEndBenchmark \
  --input "$WORK/train" --work "$WORK" --repeats "$REPEATS" --reconstruct-samples "${RECONSTRUCT_SAMPLES:-0}"
