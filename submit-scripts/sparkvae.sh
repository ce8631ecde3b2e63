#!/usr/bin/env bash
# One entry for every spark-vae job, on every cluster.
#   submit-scripts/sparkvae.sh [--cluster NAME] [--dry-run] JOB [options]   (JOB: import | train | encode |
#                              reconstruct | evaluate | plot; --help on each; docs/jobs.md)
#   submit-scripts/sparkvae.sh [--cluster NAME] --airflow                   (the profile as SparkSubmitOperator
#                                                                           arguments, JSON, for the Airflow DAG)
# NAME selects conf/clusters/NAME.conf (default: local). A local[...] master runs embedded Spark in one JVM from
# the build, with no Spark installation; any other master runs $SPARK_HOME/bin/spark-submit with the application
# jar of the profile's backend (jobs/target/spark-vae-jobs-VERSION-cpu.jar, or -gpu.jar from ./mvnw -Pgpu package).
# --dry-run prints the exact command instead of running it. Build first: ./mvnw -q -B package -DskipTests
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER=local
MODE=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cluster)
      [[ $# -ge 2 ]] || { echo "sparkvae.sh: --cluster needs a NAME (see conf/clusters/)" >&2; exit 2; }
      CLUSTER="$2"
      shift 2 ;;
    --dry-run|--airflow) MODE+=("$1"); shift ;;
    *) break ;;
  esac
done
if [[ $# -eq 0 && "${MODE[*]:-}" != *--airflow* ]]; then
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
CONF_DIR="${SPARKVAE_CONF_DIR:-$ROOT/conf}"
[[ -f "$CONF_DIR/clusters/$CLUSTER.conf" ]] || {
  echo "sparkvae.sh: unknown cluster $CLUSTER (no $CONF_DIR/clusters/$CLUSTER.conf)" >&2; exit 2; }

# The command comes from the build (dev.sparkvae.cluster.LaunchCommand), which reads the profile as the job does.
CLASSES="$ROOT/jobs/target/classes"
CLASSPATH_FILE="$ROOT/jobs/target/local-classpath.txt"
if [[ -f "$CLASSPATH_FILE" && -d "$CLASSES" ]]; then
  BUILD_CLASSPATH="$CLASSES:$(cat "$CLASSPATH_FILE")"
else
  BUILD_CLASSPATH="$(ls "$ROOT"/jobs/target/spark-vae-jobs-*-cpu.jar "$ROOT"/jobs/target/spark-vae-jobs-*-gpu.jar \
    2>/dev/null | head -n 1 || true)"
  [[ -n "$BUILD_CLASSPATH" ]] || {
    echo "sparkvae.sh: not built yet; run: (cd $ROOT && ./mvnw -q -B package -DskipTests)" >&2; exit 2; }
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
OPENS="$(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$ROOT/pom.xml")"

PLAN="$(mktemp)"
trap 'rm -f "$PLAN"' EXIT
"$JAVA" -cp "$BUILD_CLASSPATH" dev.sparkvae.cluster.LaunchCommand --checkout "$ROOT" --cluster "$CLUSTER" \
  --conf-dir "$CONF_DIR" --spark-home "${SPARK_HOME:-}" --java "$JAVA" --classpath "$BUILD_CLASSPATH" \
  --java-options "$OPENS" --extra-java-options "${SPARKVAE_JAVA_OPTS:-}" "${MODE[@]}" -- "$@" > "$PLAN"
if [[ "${MODE[*]:-}" == *--airflow* ]]; then
  cat "$PLAN"
  exit 0
fi
mapfile -d '' -t COMMAND < "$PLAN"
rm -f "$PLAN"
trap - EXIT
if [[ "${MODE[*]:-}" == *--dry-run* ]]; then
  printf '%q ' "${COMMAND[@]}"
  echo
  exit 0
fi
exec "${COMMAND[@]}"
