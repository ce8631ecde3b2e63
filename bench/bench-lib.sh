# Shared by the bench/*.sh scripts (sourced, not run): the checks and the java command line they all need.
# Sets ROOT (the repository) and FM (the Debian dataset-fashion-mnist files); defines the functions below.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FM=/usr/share/datasets/fashion-mnist
BENCH_NAME="$(basename "$0")"

# Prints the calling script's header comment (from line 2 to the first line that is not a comment) for --help.
bench_help() {
  sed -n '2,/^[^#]/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

# Fails with a clear message unless the Debian package dataset-fashion-mnist is installed.
bench_require_fashion_mnist() {
  [[ -f "$FM/train-images-idx3-ubyte.gz" ]] || { echo "$BENCH_NAME: needs the Debian package dataset-fashion-mnist" >&2; exit 2; }
}

# Sets BENCH_JAVA to the java command of the bench classes (Java 17 opens, log4j config, classpath): append JVM
# options, then the main class and its arguments. Fails with a clear message when the build has not run.
bench_require_build() {
  local classes="$ROOT/bench/target/classes" classpath="$ROOT/bench/target/bench-classpath.txt"
  if [[ ! -f "$classpath" || ! -d "$classes" ]]; then
    echo "$BENCH_NAME: not built yet; run: (cd $ROOT && ./mvnw -q -B package -DskipTests)" >&2
    exit 2
  fi
  # shellcheck disable=SC2207
  BENCH_JAVA=(java $(sed -n 's:.*<java17.opens>\(.*\)</java17.opens>.*:\1:p' "$ROOT/pom.xml")
    -Dlog4j.configurationFile="$ROOT/conf/log4j2.properties" -cp "$classes:$(cat "$classpath")")
}
