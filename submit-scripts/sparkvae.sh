#!/usr/bin/env bash
# One entry for every spark-vae job.
#   submit-scripts/sparkvae.sh [--cluster NAME] JOB [options]     (JOB: import | train; --help on each)
# NAME selects conf/clusters/NAME.conf; the default, local, runs embedded Spark (local[*]) in this JVM from the
# Maven build, with no Spark installation. Build first: ./mvnw -q -B install -DskipTests
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER=local
if [[ "${1:-}" == "--cluster" ]]; then
  [[ $# -ge 2 ]] || { echo "sparkvae.sh: --cluster needs a NAME (see conf/clusters/)" >&2; exit 2; }
  CLUSTER="$2"
  shift 2
fi
if [[ $# -eq 0 ]]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
[[ -f "$ROOT/conf/clusters/$CLUSTER.conf" ]] || { echo "sparkvae.sh: unknown cluster $CLUSTER (no conf/clusters/$CLUSTER.conf)" >&2; exit 2; }

if [[ "$CLUSTER" != local ]]; then
  echo "sparkvae.sh: cluster $CLUSTER needs spark-submit, which this launcher does not support yet; use --cluster local" >&2
  exit 2
fi

CLASSES="$ROOT/jobs/target/classes"
CLASSPATH_FILE="$ROOT/jobs/target/local-classpath.txt"
if [[ ! -f "$CLASSPATH_FILE" || ! -d "$CLASSES" ]]; then
  echo "sparkvae.sh: not built yet; run: (cd $ROOT && ./mvnw -q -B install -DskipTests)" >&2
  exit 2
fi
OPENS="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$ROOT/pom.xml")"

# One native thread per Spark task slot, and no spin-waiting thread pools fighting over the cores.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
export SPARKVAE_CONF_DIR="${SPARKVAE_CONF_DIR:-$ROOT/conf}"

# shellcheck disable=SC2086
exec java $OPENS ${SPARKVAE_JAVA_OPTS:--Xmx8g} \
  -Dorg.bytedeco.javacpp.maxbytes="${SPARKVAE_MAXBYTES:-6G}" \
  -Dorg.bytedeco.javacpp.maxphysicalbytes="${SPARKVAE_MAXPHYSICALBYTES:-14G}" \
  -Dlog4j.configurationFile="$SPARKVAE_CONF_DIR/log4j2.properties" \
  -cp "$CLASSES:$(cat "$CLASSPATH_FILE")" dev.sparkvae.jobs.Cli --cluster "$CLUSTER" "$@"
