package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.sparkvae.cli.Cli;
import dev.sparkvae.training.VaeTraining;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real standalone cluster of the integration tests: submit-scripts/standalone-cluster.sh starts a Master and
 * two Workers (1 core each) on loopback from the Spark home the build assembles; jobs go through
 * submit-scripts/sparkvae.sh and spark-submit with the shaded CPU jar. Every command's output is kept in a log file
 * under the cluster's directory.
 */
@SuppressWarnings("try") // close() waits for the stop script, so it may be interrupted
final class LoopbackCluster implements AutoCloseable {
  static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  static final Path SPARK_HOME = ROOT.resolve("jobs/spark-home/target/spark-home");

  /** What a command did: its exit code and its output (stdout and stderr). */
  record Run(String name, int code, String output) {}

  private final Path dir;
  private final String master;

  private LoopbackCluster(Path dir, String master) {
    this.dir = dir;
    this.master = master;
  }

  /** Starts the cluster with its logs and work directories under {@code dir}. */
  static LoopbackCluster start(Path dir) throws Exception {
    assertThat(SPARK_HOME.resolve("jars")).as("the Spark home the build assembles (./mvnw package)").isDirectory();
    assertThat(cpuJar()).as("the shaded CPU jar (./mvnw package)").isRegularFile();
    Run started = run(dir, List.of(script("standalone-cluster.sh"), "start", dir.toString()), Map.of(), "start");
    assertThat(started.code()).as(started.output()).isZero();
    String master = Files.readString(dir.resolve("master-url")).trim();
    assertThat(master).startsWith("spark://127.0.0.1:");
    return new LoopbackCluster(dir, master);
  }

  Path dir() {
    return dir;
  }

  /** Stops the Master, the Workers and their executors. */
  @Override
  public void close() throws Exception {
    Run stopped = run(dir, List.of(script("standalone-cluster.sh"), "stop", dir.toString()), Map.of(), "stop");
    assertThat(stopped.code()).as(stopped.output()).isZero();
  }

  /** Submits a job ({@code sparkvae.sh --cluster loopback JOB ...}) and waits for it. */
  Run submit(List<String> jobArgs, String name) throws Exception {
    return run(dir, command(jobArgs), environment(), name);
  }

  /** Starts submitting a job without waiting; its output goes to {@code name}.log under the cluster's directory. */
  Process submitInBackground(List<String> jobArgs, String name) throws IOException {
    return builder(dir, command(jobArgs), environment(), name).start();
  }

  private List<String> command(List<String> jobArgs) {
    List<String> command = new ArrayList<>(List.of(script("sparkvae.sh"), "--cluster", "loopback"));
    command.addAll(jobArgs);
    return command;
  }

  private Map<String, String> environment() {
    return Map.of("SPARKVAE_MASTER", master, "SPARK_HOME", SPARK_HOME.toString());
  }

  /** Runs a command of this checkout, logged to {@code dir/name.log}; kills it after 10 minutes. */
  static Run run(Path dir, List<String> command, Map<String, String> env, String name) throws Exception {
    Process process = builder(dir, command, env, name).start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      fail(name + " did not finish in 10 minutes; its log: " + log(dir, name));
    }
    return new Run(name, process.exitValue(), Files.readString(log(dir, name).toPath(), StandardCharsets.UTF_8));
  }

  private static ProcessBuilder builder(Path dir, List<String> command, Map<String, String> env, String name)
      throws IOException {
    Files.createDirectories(dir);
    ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true)
        .redirectOutput(log(dir, name));
    builder.environment().putAll(env);
    builder.environment().put("SPARKVAE_JAVA_OPTS", "-Xmx1g");
    return builder;
  }

  static File log(Path dir, String name) {
    return dir.resolve(name + ".log").toFile();
  }

  /** Runs the command line in this JVM on the embedded {@code local} profile; fails the test unless it succeeds. */
  static void localCli(List<String> jobArgs) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    List<String> args = new ArrayList<>(List.of(TestSpark.LOCAL_CLUSTER));
    args.addAll(jobArgs);
    int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
    assertThat(code).as(out + "\n" + err).isZero();
  }

  static String script(String name) {
    return ROOT.resolve("submit-scripts").resolve(name).toString();
  }

  static Path cpuJar() throws IOException {
    return ROOT.resolve("jobs/target/spark-vae-jobs-" + version() + "-cpu.jar");
  }

  static String version() throws IOException {
    return VaeTraining.versions().get("spark-vae");
  }

  static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
