#!/usr/bin/env bash
# Quality benchmark: the PyTorch VAE example's recipe (conf/jobs/fmnist-reference.conf) on the full
# Fashion-MNIST (60,000 train, 10,000 test images), trained twice: 2 workers by parameter averaging, and 1 worker.
# Prints test negative ELBO per epoch of both runs beside PyTorch's figures for the same recipe (the torch list
# in this script; where they come from: bench/RESULTS.md, training quality).
# Needs: the build (./mvnw -q -B package -DskipTests) and the Debian package dataset-fashion-mnist.
# Usage: bench/train-quality.sh [WORKDIR]   (default WORKDIR: target/bench-quality)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bench-lib.sh"
WORK="${1:-$ROOT/target/bench-quality}"
RUN="$ROOT/submit-scripts/sparkvae.sh"
bench_require_fashion_mnist
mkdir -p "$WORK"
[[ -d "$WORK/train" ]] || "$RUN" import --images "$FM/train-images-idx3-ubyte.gz" --labels "$FM/train-labels-idx1-ubyte.gz" --output "$WORK/train" --partitions 4
[[ -d "$WORK/test" ]] || "$RUN" import --images "$FM/t10k-images-idx3-ubyte.gz" --labels "$FM/t10k-labels-idx1-ubyte.gz" --output "$WORK/test" --partitions 2

"$RUN" train --input "$WORK/train" --test "$WORK/test" --model "$WORK/model-2-workers" --overwrite \
  --config "$ROOT/conf/jobs/fmnist-reference.conf"
"$RUN" train --input "$WORK/train" --test "$WORK/test" --model "$WORK/model-1-worker" --overwrite \
  --config "$ROOT/conf/jobs/fmnist-reference.conf" --set train.workers=1 --set train.batch-size-per-worker=128 \
  --set train.averaging-frequency=10   # one worker: averaging is the identity, rounds only cost time

python3 - "$WORK" <<'PY'
import json, sys
torch = [262.57, 253.20, 249.84, 247.89, 246.82, 246.03, 245.17, 244.73, 244.90, 243.87]
two = json.load(open(sys.argv[1] + "/model-2-workers/metrics.json"))
one = json.load(open(sys.argv[1] + "/model-1-worker/metrics.json"))
print("| epoch | PyTorch | 2 workers | vs PyTorch | 1 worker | 2 vs 1 | s/epoch 2w | s/epoch 1w |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for t, a, b in zip(torch, two, one):
    x, y = a["test_neg_elbo"], b["test_neg_elbo"]
    print(f"| {a['epoch']} | {t:.2f} | {x:.2f} | {100*(x-t)/t:+.2f}% | {y:.2f} | {100*(x-y)/y:+.2f}% | {a['seconds']:.1f} | {b['seconds']:.1f} |")
PY
