#!/usr/bin/env bash
# A real Spark standalone cluster on this machine: one Master and two Workers of 1 core on 127.0.0.1, on free
# ports; every executor is its own JVM. For the integration tests and for trying spark-submit without a cluster.
#   submit-scripts/standalone-cluster.sh start [DIR]   starts it; writes DIR/master-url, logs and work dirs
#   submit-scripts/standalone-cluster.sh stop [DIR]    stops the Master, the Workers and their executors
# DIR defaults to target/standalone-cluster. Spark comes from SPARK_HOME, by default the Spark home the build
# assembles from Maven (jobs/spark-home/target/spark-home: ./mvnw -q -B package -DskipTests). Then:
#   SPARKVAE_MASTER=$(cat DIR/master-url) SPARK_HOME=jobs/spark-home/target/spark-home \
#     submit-scripts/sparkvae.sh --cluster loopback train ...
# Environment: SPARKVAE_WORKERS (2), SPARKVAE_WORKER_MEMORY (2g per Worker), SPARKVAE_CLUSTER_TIMEOUT (120 s).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTION="${1:-}"
DIR="${2:-$ROOT/target/standalone-cluster}"
export SPARK_HOME="${SPARK_HOME:-$ROOT/jobs/spark-home/target/spark-home}"
WORKERS="${SPARKVAE_WORKERS:-2}"
TIMEOUT="${SPARKVAE_CLUSTER_TIMEOUT:-120}"

# Waits until FILE has a line matching PATTERN; fails (showing the log) if PID dies or time runs out.
wait_for() {
  local file="$1" pattern="$2" pid="$3" waited=0
  until grep -q -E "$pattern" "$file" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "standalone-cluster.sh: process $pid exited; its log $file ends with:" >&2
      tail -n 20 "$file" >&2
      return 1
    fi
    if (( waited >= TIMEOUT * 10 )); then
      echo "standalone-cluster.sh: no '$pattern' in $file after ${TIMEOUT}s" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Starts a Spark daemon in its own process group (its pid is the group id); appends the pid to DIR/pids.
start_daemon() {
  local log="$1"
  shift
  setsid "$SPARK_HOME/bin/spark-class" "$@" > "$log" 2>&1 < /dev/null &
  echo "$!" >> "$DIR/pids"
  LAST_PID=$!
}

stop() {
  [[ -f "$DIR/pids" ]] || { echo "standalone-cluster.sh: nothing to stop in $DIR"; return 0; }
  mapfile -t GROUPS_TO_STOP < "$DIR/pids"
  for pgid in "${GROUPS_TO_STOP[@]}"; do
    kill -TERM -- "-$pgid" 2>/dev/null || true
  done
  local waited=0
  for pgid in "${GROUPS_TO_STOP[@]}"; do
    while kill -0 -- "-$pgid" 2>/dev/null && (( waited < 200 )); do
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  done
  rm -f "$DIR/pids" "$DIR/master-url"
  echo "Stopped the standalone cluster in $DIR"
}

start() {
  [[ -x "$SPARK_HOME/bin/spark-class" && -d "$SPARK_HOME/jars" ]] || {
    echo "standalone-cluster.sh: no Spark home at $SPARK_HOME; build it: (cd $ROOT && ./mvnw -q -B package -DskipTests)" >&2
    exit 2; }
  if [[ -f "$DIR/pids" ]]; then
    echo "standalone-cluster.sh: a cluster is already running in $DIR (stop it first: $0 stop $DIR)" >&2
    exit 1
  fi
  mkdir -p "$DIR"
  DIR="$(cd "$DIR" && pwd)"
  # Everything (daemons, executors, the drivers that read this) on loopback.
  export SPARK_LOCAL_IP=127.0.0.1
  export SPARK_DAEMON_MEMORY="${SPARK_DAEMON_MEMORY:-512m}"
  trap 'stop >/dev/null' ERR

  start_daemon "$DIR/master.log" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 0 --webui-port 0
  wait_for "$DIR/master.log" 'Starting Spark master at spark://' "$LAST_PID"
  local master
  master="$(grep -o -E 'spark://[0-9.]+:[0-9]+' "$DIR/master.log" | head -n 1)"

  local worker_pids=()
  for ((n = 1; n <= WORKERS; n++)); do
    mkdir -p "$DIR/worker-$n"
    start_daemon "$DIR/worker-$n.log" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --port 0 \
      --webui-port 0 --cores 1 --memory "${SPARKVAE_WORKER_MEMORY:-2g}" --work-dir "$DIR/worker-$n" "$master"
    worker_pids+=("$LAST_PID")
  done
  for ((n = 1; n <= WORKERS; n++)); do
    wait_for "$DIR/worker-$n.log" 'Successfully registered with master' "${worker_pids[$((n - 1))]}"
  done
  trap - ERR
  echo "$master" > "$DIR/master-url"
  echo "Standalone cluster up: master $master, $WORKERS workers of 1 core (logs and work dirs in $DIR)"
  echo "Submit: SPARKVAE_MASTER=$master SPARK_HOME=$SPARK_HOME $ROOT/submit-scripts/sparkvae.sh --cluster loopback JOB ..."
  echo "Stop:   $0 stop $DIR"
}

case "$ACTION" in
  start) start ;;
  stop) stop ;;
  *) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
