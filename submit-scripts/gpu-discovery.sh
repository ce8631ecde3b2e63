#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs this executor may use
# as {"name": "gpu", "addresses": ["0", "1"]}. Lists the devices nvidia-smi sees (YARN and Kubernetes expose
# only the container's own).
set -euo pipefail
command -v nvidia-smi >/dev/null || { echo "gpu-discovery.sh: nvidia-smi not found: no NVIDIA driver here" >&2; exit 1; }
mapfile -t INDEXES < <(nvidia-smi --query-gpu=index --format=csv,noheader | tr -d ' ')
[[ ${#INDEXES[@]} -gt 0 ]] || { echo "gpu-discovery.sh: nvidia-smi lists no GPU" >&2; exit 1; }
ADDRESSES="$(printf '"%s",' "${INDEXES[@]}")"
printf '{"name": "gpu", "addresses": [%s]}\n' "${ADDRESSES%,}"
