#!/usr/bin/env bash
# One training step on one thread: ours (DL4J/ND4J) beside the same VAE step in libtorch (DJL's PyTorch engine,
# Adam, autograd), per minibatch size, interleaved in one JVM; with the FLOP floor and where our step's time goes
# (its matrix products alone, the rest, ND4J ops per step). Needs the build (./mvnw -q -B package -DskipTests).
# Usage: bench/train-step.sh [--recipe FILE] [--batches 32,64,128,256] [--repeats N] [--rounds N]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
bench_require_build
cd "$ROOT"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive exec "${BENCH_JAVA[@]}" -Xmx4g -Dai.djl.offline=true \
  dev.sparkvae.bench.TrainStepBenchmark "$@"
