# Shared by the bench/*.sh scripts (sourced, not run): the checks and the java command line they all need.
# Sets ROOT (the repository) and FM (the Debian dataset-fashion-mnist files); defines the functions below.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FM=/usr/share/datasets/fashion-mnist
BENCH_NAME="$(basename "$0")"

# Prints the calling script's header comment (from line 2 to the first line that is not a comment) for --help.
bench_help() {
  sed -n '2,/^[^#]/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

# Every script answers --help (or -h) as its first argument with its header comment (sourcing passes the script's
# arguments here).
if [[ "${1:-}" == "--help" || "${1:-}" == "-h" ]]; then
  bench_help
  exit 0
fi

# Fails with a clear message unless the Debian package dataset-fashion-mnist is installed.
bench_require_fashion_mnist() {
  [[ -f "$FM/train-images-idx3-ubyte.gz" ]] || { echo "$BENCH_NAME: needs the Debian package dataset-fashion-mnist" >&2; exit 2; }
}

# Imports the Debian Fashion-MNIST files into $1/train and $1/test (2 Parquet files each), unless already there.
bench_import_fashion_mnist() {
  local split out
  for split in train t10k; do
    out="$1/${split/t10k/test}"
    [[ -d "$out" ]] || "$ROOT/submit-scripts/sparkvae.sh" import --images "$FM/$split-images-idx3-ubyte.gz" \
      --labels "$FM/$split-labels-idx1-ubyte.gz" --output "$out" --partitions 2
  done
}

# Sets BENCH_JAVA to the java command of the bench classes (Java 17 opens, log4j config, $BENCH_JVM_OPTS, classpath):
# append JVM options, then the main class and its arguments. Fails with a clear message when the build has not run.
# E.g. BENCH_JVM_OPTS=-Dorg.bytedeco.javacpp.platform.extension= runs ND4J's generic build instead of the CPU's.
bench_require_build() {
  local classes="$ROOT/bench/target/classes" classpath="$ROOT/bench/target/bench-classpath.txt"
  if [[ ! -f "$classpath" || ! -d "$classes" ]]; then
    echo "$BENCH_NAME: not built yet; run: (cd $ROOT && ./mvnw -q -B package -DskipTests)" >&2
    exit 2
  fi
  # shellcheck disable=SC2207
  BENCH_JAVA=(java $(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$ROOT/pom.xml")
    -Dlog4j.configurationFile="$ROOT/conf/log4j2.properties" ${BENCH_JVM_OPTS:-} -cp "$classes:$(cat "$classpath")")
}

# Sets THREADS to the value after --threads in the arguments (default 2) and exports the OpenMP settings every
# runtime then shares: that many native threads, and no spin-waiting pools fighting over the cores.
bench_threads() {
  THREADS=2
  local args=("$@") i
  for ((i = 0; i < ${#args[@]}; i++)); do
    [[ "${args[$i]}" == "--threads" ]] && THREADS="${args[$((i + 1))]:-2}"
  done
  export OMP_NUM_THREADS="$THREADS"
  export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
}
