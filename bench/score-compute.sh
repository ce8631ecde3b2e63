#!/usr/bin/env bash
# Scoring compute only (the reconstruct job's work, no Spark): reconstruction error, log_prob with K importance
# samples and negative ELBO per row, on ND4J and on ONNX Runtime, beside the sgemm floor. Needs the build
# (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist. Keep the machine otherwise idle.
# Usage: bench/score-compute.sh [--samples K] [--threads N] [--batches 64,256] [--repeats N] [--sgemm N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
bench_require_build
bench_require_fashion_mnist
bench_threads "$@"
exec "${BENCH_JAVA[@]}" -Xmx4g dev.sparkvae.bench.ScoreComputeBenchmark "$@"
