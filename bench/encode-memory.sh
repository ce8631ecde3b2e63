#!/usr/bin/env bash
# Encode memory: encodes 1,000,000 rows (the Fashion-MNIST train set repeated, new ids) with a
# fixed small heap, once with spark.sql.files.maxPartitionBytes=8m (splits stop at Parquet row groups: ~5
# partitions) and once with 2g (one partition per file: 2 of 500,000 rows), and prints the partition count and the
# peak resident memory of the (embedded local[2]) JVM. Streaming encode
# must succeed in both and its peak must not grow with the partition size.
# Needs the build (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist.
# Usage: bench/encode-memory.sh [WORKDIR] [HEAP]   (defaults: target/bench-memory, 1g)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
bench_require_build
bench_require_fashion_mnist
WORK="${1:-$ROOT/target/bench-memory}"
HEAP="${2:-1g}"
RUN="$ROOT/submit-scripts/sparkvae.sh"
mkdir -p "$WORK"
[[ -d "$WORK/train" ]] || "$RUN" import --images "$FM/train-images-idx3-ubyte.gz" \
  --labels "$FM/train-labels-idx1-ubyte.gz" --output "$WORK/train" --partitions 4
[[ -d "$WORK/model" ]] || "$RUN" train --input "$WORK/train" --model "$WORK/model" --epochs 1
if [[ ! -d "$WORK/million" ]]; then
  # 17 copies of 60,000 rows with distinct ids, cut to 1,000,000, in 2 files: built with the project's own Spark.
  "${BENCH_JAVA[@]}" -Xmx6g dev.sparkvae.bench.RepeatRows "$WORK/train" "$WORK/million" 1000000 2
fi
for split in 8m 2g; do
  /usr/bin/time -f "%M" -o "$WORK/peak-$split.txt" env SPARKVAE_JAVA_OPTS="-Xmx$HEAP" "$RUN" encode \
    --input "$WORK/million" --model "$WORK/model" --output "$WORK/encoded-$split" --overwrite \
    --set "cluster.spark-conf.\"spark.sql.files.maxPartitionBytes\"=$split" >/dev/null 2>"$WORK/encode-$split.log"
  PARTS=$(find "$WORK/encoded-$split" -name '*.parquet' | wc -l)
  echo "maxPartitionBytes $split: $PARTS partitions, heap $HEAP: peak RSS $(( $(cat "$WORK/peak-$split.txt") / 1024 )) MB"
done
