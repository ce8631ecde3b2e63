#!/usr/bin/env bash
# Encode, compute only: rows/s and GFLOP/s of the 784-256-256->16 VAE encoder on the 60,000 Fashion-MNIST train
# images in DL4J, our ND4J and ONNX Runtime engines, ONNX Runtime used directly and libtorch (DJL), plus sgemm
# through ND4J, ONNX Runtime and libtorch: all in one process, same weights, same thread count. Prints markdown.
# Builds nothing: needs the reactor build (./mvnw -q -B package -DskipTests) and the Debian package
# dataset-fashion-mnist. Keep the machine otherwise idle; it takes 2 to 4 minutes.
# Usage: bench/encode-compute.sh [--threads N] [--batches 256,1024,4096] [--repeats N] [--sgemm N] [--images FILE]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
bench_require_build

bench_threads "$@"
# DJL: use the libtorch of the pytorch-native-cpu jar, never download; extract it under the build, not in $HOME.
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$ROOT/bench/target/djl-cache}"

exec "${BENCH_JAVA[@]}" -Xmx4g \
  -Dorg.bytedeco.javacpp.maxbytes=4G -Dorg.bytedeco.javacpp.maxphysicalbytes=10G \
  -Dai.djl.offline=true dev.sparkvae.bench.EncodeComputeBenchmark "$@"
