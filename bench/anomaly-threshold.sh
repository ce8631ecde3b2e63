#!/usr/bin/env bash
# The anomaly threshold's realised false-positive rate on held-out normal rows: train the default recipe
# (conf/defaults.conf, EPOCHS epochs) on the full Fashion-MNIST train set (60,000 images) without --test, so that
# the threshold is the (1 - anomaly.false-positive-rate) quantile of the train.validation-fraction split (about 6,000
# rows at the default 0.1); then evaluate the 10,000 test images with every class normal and print the share of them
# that is_anomaly flags beside the target. Needs the build (./mvnw -q -B package -DskipTests) and the Debian package
# dataset-fashion-mnist (imported on first use). Extra arguments go to both jobs (e.g. --set
# anomaly.false-positive-rate=0.05).
# Usage: bench/anomaly-threshold.sh [WORKDIR] [EPOCHS] [--set key=value ...]   (default target/bench-threshold, 5)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="${1:-$ROOT/target/bench-threshold}"
EPOCHS="${2:-5}"
shift $(($# < 2 ? $# : 2))
RUN="$ROOT/submit-scripts/sparkvae.sh"
bench_require_fashion_mnist
mkdir -p "$WORK"
bench_import_fashion_mnist "$WORK"
"$RUN" train --input "$WORK/train" --model "$WORK/model" --overwrite --set train.epochs="$EPOCHS" \
  --set plot.enabled=false "$@"
"$RUN" evaluate --input "$WORK/test" --model "$WORK/model" --output "$WORK/evaluation.json" --overwrite \
  --samples 1 --set anomaly.normal-labels="[0,1,2,3,4,5,6,7,8,9]" --set plot.enabled=false "$@" > /dev/null

/usr/bin/python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
model = json.load(open(work + "/model/model.json"))
evaluation = json.load(open(work + "/evaluation.json"))
target = 1 - model["anomaly_quantile"]
realised = evaluation["false_positive_rate"]
print(f"held-out rows (threshold): {model['anomaly_threshold_rows']}, training rows: {model['training_examples']}")
print(f"anomaly threshold: {model['anomaly_threshold']:.4f} nats")
print(f"normal test rows: {evaluation['normal_rows']}, flagged: {evaluation['rows_flagged']}")
print(f"false-positive rate: realised {realised:.4f}, target {target:.4f}, "
      f"off by {100 * (realised - target):+.2f} points")
PY
