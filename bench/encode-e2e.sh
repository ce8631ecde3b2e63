#!/usr/bin/env bash
# Encode end to end (issue 3, figures 2 and 3): our encode job on local[2] with each encoder engine, Parquet in and
# out, beside dl4j-spark's feedForwardWithKey on the same data and, in the same run, the compute-only rate of our
# ONNX Runtime engine. Needs the build (./mvnw -q -B package -DskipTests) and the Debian package
# dataset-fashion-mnist (imported here on first use). Keep the machine otherwise idle; it takes a few minutes.
# Usage: bench/encode-e2e.sh [WORKDIR] [REPEATS]   (default WORKDIR: target/bench-encode, REPEATS: 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-$ROOT/target/bench-encode}"
REPEATS="${2:-3}"
FM=/usr/share/datasets/fashion-mnist
CLASSPATH_FILE="$ROOT/bench/target/bench-classpath.txt"
[[ -f "$CLASSPATH_FILE" ]] || { echo "encode-e2e.sh: not built yet; run: (cd $ROOT && ./mvnw -q -B package -DskipTests)" >&2; exit 2; }
mkdir -p "$WORK"
[[ -d "$WORK/train" ]] || "$ROOT/submit-scripts/sparkvae.sh" import --images "$FM/train-images-idx3-ubyte.gz" \
  --labels "$FM/train-labels-idx1-ubyte.gz" --output "$WORK/train" --partitions 4
OPENS="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$ROOT/pom.xml")"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
# shellcheck disable=SC2086
exec java $OPENS -Xmx6g -Dlog4j.configurationFile="$ROOT/conf/log4j2.properties" \
  -cp "$ROOT/bench/target/classes:$(cat "$CLASSPATH_FILE")" dev.sparkvae.bench.EncodeEndToEndBenchmark \
  --input "$WORK/train" --work "$WORK" --repeats "$REPEATS"
