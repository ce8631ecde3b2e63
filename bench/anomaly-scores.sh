#!/usr/bin/env bash
# Anomaly scores against the baselines, in one run: the one-class Fashion-MNIST protocol (train on one class's 6,000
# training images with the default network, score the 10,000 test images, that class normal) for every class and
# the committed breast-cancer table with conf/jobs/breast-cancer.conf; AUROC of anomaly_score, reconstruction_error
# and -log_prob, the realised false-positive rate of is_anomaly on the normal test rows; then PCA(16) and
# IsolationForest on the same protocol (bench/anomaly-baselines.py, Debian's python3-sklearn). Needs the build
# (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist (imported on first use).
# Usage: bench/anomaly-scores.sh [WORKDIR] [CLASSES] [EPOCHS]   (default target/bench-anomaly, 0,...,9, 10)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="${1:-$ROOT/target/bench-anomaly}"
CLASSES="${2:-0,1,2,3,4,5,6,7,8,9}"
EPOCHS="${3:-10}"
bench_require_build
bench_require_fashion_mnist
[[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c "import sklearn" 2>/dev/null \
  || { echo "$BENCH_NAME: needs Debian's python3-sklearn" >&2; exit 2; }
mkdir -p "$WORK"
bench_import_fashion_mnist "$WORK"
export OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive
"${BENCH_JAVA[@]}" -Xmx6g dev.sparkvae.bench.AnomalyScoreBenchmark --train "$WORK/train" --test "$WORK/test" \
  --work "$WORK" --classes "$CLASSES" --epochs "$EPOCHS" --tabular "$ROOT/data/breast-cancer" \
  --tabular-recipe "$ROOT/conf/jobs/breast-cancer.conf"
/usr/bin/python3 "$ROOT/bench/anomaly-baselines.py" "$FM" "$CLASSES"
