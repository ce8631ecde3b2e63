#!/usr/bin/env bash
# Training speed at equal quality: the benchmark recipe (default conf/jobs/fmnist-benchmark.conf) on the
# full Fashion-MNIST (60,000 train, 10,000 test images), trained
#   1. in one process, no Spark, one native thread (the baseline),
#   2. in one process, all cores,
#   3. by the train job on local[W] (W = train.workers of the recipe, one native thread per task),
#   4. with --cluster NAME, by the train job on conf/clusters/NAME.conf (e.g. a standalone cluster; the driver runs
#      here, the executors load the shaded CPU jar; for loopback: SPARKVAE_MASTER=$(cat DIR/master-url)),
# each from the same initial network for the same epochs, plus the single-thread FLOP floor. Prints examples/s,
# test negative ELBO after the same epochs, both as ratios to the single thread, and where the rounds' time goes.
# Needs the reactor build (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist.
# Takes about 10 minutes on 2 cores with the default recipe; run it on an otherwise idle machine.
# Usage: bench/train-speed.sh [--work DIR] [--recipe FILE] [--epochs N] [--set key=value]...
#                             [--skip-local-all-cores | --spark-only] [--cluster NAME [--cluster-set key=value]...]
# --set changes the recipe for every run (e.g. --set train.averaging-frequency=8); --spark-only skips the
# single-process runs (for sweeps of the Spark settings).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="$ROOT/target/bench-train-speed"
RECIPE="$ROOT/conf/jobs/fmnist-benchmark.conf"
EPOCHS=""
CLUSTER=""
CLUSTER_SETS=()
ALL_CORES=1
SINGLE=1
SETS=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --work) WORK="$2"; shift 2 ;;
    --recipe) RECIPE="$2"; shift 2 ;;
    --epochs) EPOCHS="$2"; shift 2 ;;
    --cluster) CLUSTER="$2"; shift 2 ;;
    --cluster-set) CLUSTER_SETS+=(--set "$2"); shift 2 ;;
    --set) SETS+=(--set "$2"); shift 2 ;;
    --skip-local-all-cores) ALL_CORES=0; shift ;;
    --spark-only) SINGLE=0; shift ;;
    *) echo "train-speed.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
bench_require_build
bench_require_fashion_mnist
CORES="$(nproc)"
RESULTS="$WORK/results-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RESULTS"

RUN="$ROOT/submit-scripts/sparkvae.sh"
[[ -d "$WORK/train" ]] || "$RUN" import --images "$FM/train-images-idx3-ubyte.gz" --labels "$FM/train-labels-idx1-ubyte.gz" --output "$WORK/train" --partitions 4
[[ -d "$WORK/test" ]] || "$RUN" import --images "$FM/t10k-images-idx3-ubyte.gz" --labels "$FM/t10k-labels-idx1-ubyte.gz" --output "$WORK/test" --partitions 2

[[ -n "$EPOCHS" ]] && SETS+=(--set "train.epochs=$EPOCHS")
WORKERS="$(sed -n 's/^ *workers *= *\([0-9]*\).*/\1/p' "$RECIPE" | tail -1)"
WORKERS="${WORKERS:-$CORES}"
export OMP_WAIT_POLICY=passive

# bench PART THREADS [options...]: one part in its own JVM with THREADS native threads.
bench() {
  local part="$1" threads="$2"
  shift 2
  echo "== $part (OMP_NUM_THREADS=$threads), load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  OMP_NUM_THREADS="$threads" "${BENCH_JAVA[@]}" -Xmx8g \
    -Dorg.bytedeco.javacpp.maxbytes=6G -Dorg.bytedeco.javacpp.maxphysicalbytes=14G \
    dev.sparkvae.bench.TrainSpeedBenchmark "$part" "$@"
}
COMMON=(--recipe "$RECIPE" ${SETS[@]+"${SETS[@]}"})
IMAGES=(--train-images "$FM/train-images-idx3-ubyte.gz" --test-images "$FM/t10k-images-idx3-ubyte.gz")
bench floor 1 "${COMMON[@]}" --out "$RESULTS/0-floor.json"
if [[ "$SINGLE" == 1 ]]; then
  bench local 1 "${COMMON[@]}" "${IMAGES[@]}" --threads 1 --label "one process, 1 thread" \
    --out "$RESULTS/1-local-1.json"
fi
if [[ "$SINGLE" == 1 && "$ALL_CORES" == 1 ]]; then
  bench local "$CORES" "${COMMON[@]}" "${IMAGES[@]}" --threads "$CORES" --label "one process, $CORES threads" \
    --out "$RESULTS/2-local-$CORES.json"
fi
SPARK=(--input "$WORK/train" --test "$WORK/test" "${IMAGES[@]}" --work "$RESULTS")
bench spark 1 "${COMMON[@]}" "${SPARK[@]}" --cluster-file "$ROOT/conf/clusters/local.conf" \
  --set "cluster.master=\"local[$WORKERS]\"" --label "Spark local[$WORKERS]" --out "$RESULTS/3-spark-local.json"
if [[ -n "$CLUSTER" ]]; then
  # The driver runs here; the executors get the job's classes from the shaded CPU jar.
  JAR="$(ls "$ROOT"/jobs/target/spark-vae-jobs-*-cpu.jar 2>/dev/null | head -1)"
  [[ -n "$JAR" ]] || { echo "train-speed.sh: no shaded CPU jar in jobs/target; run ./mvnw -q -B package -DskipTests" >&2; exit 2; }
  bench spark 1 "${COMMON[@]}" "${SPARK[@]}" --cluster-file "$ROOT/conf/clusters/$CLUSTER.conf" \
    --set "cluster.spark-conf.\"spark.jars\"=\"$JAR\"" ${CLUSTER_SETS[@]+"${CLUSTER_SETS[@]}"} \
    --label "Spark cluster $CLUSTER" --out "$RESULTS/4-spark-$CLUSTER.json"
fi
echo "== results in $RESULTS" >&2
bench report 1 --work "$RESULTS"
