package dev.sparkvae.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every profile of conf/clusters: parses, validates, and gives the spark-submit (or embedded) command expected. */
class ClusterProfileTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final Path CONF = ROOT.resolve("conf");
  private static final String SPARK_HOME = "/opt/spark";
  private static final String LOG = "-Dlog4j.configurationFile=" + CONF + "/log4j2.properties";
  private static final List<String> JOB = List.of("train", "--input", "in", "--model", "m");

  @TempDir Path dir;

  /**
   * Every profile of conf/clusters, read here with Typesafe Config over conf/defaults.conf, gives the command its
   * settings mean: spark-submit's flags, one --conf per Spark setting (the profile's cluster.spark-conf and those
   * our keys stand for), the jar for its backend; or, for a local master, one JVM with the driver's limits.
   */
  @Test
  void everyProfileGivesTheCommandItsSettingsMean() {
    Set<String> kinds = new TreeSet<>();
    for (String name : profileNames()) {
      List<String> job = new ArrayList<>(JOB);
      if (name.equals("loopback")) {
        job.addAll(List.of("--set", "cluster.master=\"spark://127.0.0.1:7077\""));
      }
      Config cluster = profileAsRead(name, job);
      List<String> command = launch(name, job).command();
      String master = cluster.getString("master");
      List<String> args = new ArrayList<>(List.of("--cluster", name, "--conf-dir", driverConfDir(cluster)));
      args.addAll(job);
      if (master.startsWith("local")) {
        kinds.add("local");
        List<String> expected = new ArrayList<>(environment(cluster));
        expected.addAll(List.of("java", "--opens", "-Xmx" + cluster.getString("driver.memory")));
        expected.addAll(javacppOptions(cluster.getConfig("driver")));
        expected.addAll(List.of("-Xmx2g", LOG, "-cp", "CP", ClusterProfile.MAIN_CLASS));
        expected.addAll(args);
        assertThat(command).as(name).isEqualTo(expected);
        continue;
      }
      kinds.add(master.replaceFirst(":.*", ""));
      Submission submission = Submission.of(command);
      List<String> head = new ArrayList<>(environment(cluster));
      head.add(SPARK_HOME + "/bin/spark-submit");
      assertThat(submission.head()).as("%s: environment and program", name).isEqualTo(head);
      assertThat(submission.flags()).as("%s: flags", name).isEqualTo(expectedFlags(cluster));
      assertThat(submission.confs()).as("%s: --conf settings", name).isEqualTo(expectedSparkConf(cluster));
      String backend = cluster.getString("backend");
      assertThat(submission.jar()).as("%s: jar", name).isEqualTo(cluster.getString("application-jar").isEmpty()
          ? ROOT + "/jobs/target/spark-vae-jobs-" + projectVersion() + "-" + backend + ".jar"
          : cluster.getString("application-jar"));
      assertThat(submission.args()).as("%s: application arguments", name).isEqualTo(args);
    }
    assertThat(kinds).as("the profiles cover every kind of master").containsExactly("k8s", "local", "spark", "yarn");
  }

  @Test
  void jobSettingsChangeTheSubmission() {
    List<String> command = launch("yarn-cpu", List.of("train", "--config", CONF + "/jobs/fmnist-reference.conf",
        "--set", "cluster.executor.memory=12g", "--set=cluster.executor.instances=3")).command();
    assertThat(String.join(" ", command)).contains("--executor-memory 12g --executor-cores 4 --num-executors 3 ");
  }

  @Test
  void javaOptionsInSparkConfJoinTheProfilesOwn() {
    List<String> job = List.of("train", "--set", "cluster.spark-conf.\"spark.executor.extraJavaOptions\"=\"-XX:+UseG1GC\"");
    Submission submission = Submission.of(launch("yarn-cpu", job).command());
    assertThat(submission.confs().get("spark.executor.extraJavaOptions")).isEqualTo(String.join(" ",
        javacppOptions(profileAsRead("yarn-cpu", job).getConfig("executor"))) + " -XX:+UseG1GC");
  }

  @Test
  void aGpuProfileOnTheCpuBackendFailsNamingProfileKeyAndWhatWasFound() throws IOException {
    ClusterProfile gpu = launch("yarn-gpu", JOB).profile();
    Nd4jBackendInfo found = Nd4jBackendInfo.current();
    assertThat(found.isCuda()).as("the tests run on the CPU backend").isFalse();
    assertThatThrownBy(() -> gpu.requireBackend(found, "executor 1 (pid 4242 on node-7)"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("Cluster profile yarn-gpu asks for the GPU backend (cluster.backend = gpu, from "
            + origin("yarn-gpu", "backend = gpu") + "), but on executor 1 (pid 4242 on node-7) ND4J loaded "
            + "its CPU backend (" + found.describe() + "): run the GPU jar (built with ./mvnw -Pgpu package) on "
            + "nodes with an NVIDIA GPU and the CUDA 11.6 runtime");
    assertThat(found.describe()).startsWith("CPU backend CpuBackend, BLAS OPENBLAS, ");

    Nd4jBackendInfo cudaWithoutDevice = new Nd4jBackendInfo("CUDA", "JCublasBackend", "CUBLAS", 1, 1, 0, 1L << 30,
        2L << 30, "n/a", BlasKernel.Isa.AVX2, "n/a");
    assertThatThrownBy(() -> gpu.requireBackend(cudaWithoutDevice, "the driver (pid 1)"))
        .hasMessageContaining("but on the driver (pid 1) ND4J loaded its CUDA backend but sees no CUDA device "
            + "(CUDA backend JCublasBackend, BLAS CUBLAS, 1 OMP threads, 1 BLAS threads, 0 CUDA devices, "
            + "JavaCPP maxbytes 1.0 GiB, maxphysicalbytes 2.0 GiB)");
    gpu.requireBackend(new Nd4jBackendInfo("CUDA", "JCublasBackend", "CUBLAS", 1, 1, 2, 1, 2, "n/a",
        BlasKernel.Isa.AVX2, "n/a"), "executor 0");

    ClusterProfile cpu = launch("yarn-cpu", JOB).profile();
    cpu.requireBackend(found, "executor 0");
    assertThatThrownBy(() -> cpu.requireBackend(cudaWithoutDevice, "executor 0"))
        .hasMessageStartingWith("Cluster profile yarn-cpu asks for the CPU backend (cluster.backend = cpu, from "
            + origin("yarn-cpu", "backend = cpu") + "), but on executor 0 ND4J loaded its GPU backend");
  }

  @Test
  void inconsistentSettingsFailBeforeAnythingStarts() throws IOException {
    assertInvalid("yarn-cpu", "cluster.executor.javacpp-max-bytes=7g", "Cannot set cluster.executor.javacpp-max-bytes"
        + " to \"7g\" (from --set cluster.executor.javacpp-max-bytes=7g: 1) in cluster profile yarn-cpu: ND4J's arrays"
        + " live off-heap: it must be below cluster.executor.memory-overhead (6g)");
    assertInvalid("yarn-cpu", "cluster.executor.javacpp-max-physical-bytes=15g", "Cannot set "
        + "cluster.executor.javacpp-max-physical-bytes to \"15g\" (from --set "
        + "cluster.executor.javacpp-max-physical-bytes=15g: 1) in cluster profile yarn-cpu: it must not exceed the "
        + "container, cluster.executor.memory + cluster.executor.memory-overhead (8g + 6g)");
    assertInvalid("local", "cluster.driver.memory=16g", "Cannot set cluster.driver.javacpp-max-physical-bytes to "
        + "\"14g\" (from " + origin("local", "javacpp-max-physical-bytes = 14g") + ") in cluster profile local: it counts the "
        + "heap too: it must be above cluster.driver.memory (16g)");
    assertInvalid("yarn-cpu", "cluster.executor.memory=8", "Cannot set cluster.executor.memory to 8 (from --set "
        + "cluster.executor.memory=8: 1) in cluster profile yarn-cpu: the value must be a size with a unit, e.g. "
        + "512m or 4g");
    assertInvalid("yarn-cpu", "cluster.executor.gpus=1", "Cannot set cluster.executor.gpus to 1 (from --set "
        + "cluster.executor.gpus=1: 1) in cluster profile yarn-cpu: GPUs need cluster.backend = gpu");
    assertInvalid("yarn-gpu", "cluster.executor.cores=4", "Cannot set cluster.executor.cores to 4 (from --set "
        + "cluster.executor.cores=4: 1) in cluster profile yarn-gpu: one task per GPU: set it to "
        + "cluster.executor.gpus (1)");
    assertInvalid("yarn-gpu", "cluster.gpu.discovery-script=\"\"", "Cannot set cluster.gpu.discovery-script to \"\" "
        + "(from --set cluster.gpu.discovery-script=\"\": 1) in cluster profile yarn-gpu: backend gpu needs a script "
        + "that lists each executor's GPUs");
    assertInvalid("k8s-gpu", "cluster.conf-dir=\"\"", "Cannot set cluster.deploy-mode to \"cluster\" (from "
        + origin("k8s-gpu", "deploy-mode = cluster") + ") in cluster profile k8s-gpu: in cluster mode the driver runs "
        + "on the cluster: set cluster.conf-dir to conf/ as the driver sees it (e.g. in its container image)");
    assertInvalid("yarn-cpu", "cluster.master=\"mesos://m:5050\"", "Cannot set cluster.master to "
        + "\"mesos://m:5050\" (from --set cluster.master=\"mesos://m:5050\": 1) in cluster profile yarn-cpu: the value "
        + "must be local[...], spark://HOST:PORT, yarn or k8s://https://HOST:PORT");
    assertInvalid("yarn-cpu", "cluster.spark-conf.\"spark.kryo.registrator\"=\"\"", "Cannot use Kryo "
        + "(cluster.spark-conf.\"spark.serializer\" from " + origin("yarn-cpu", "\"spark.serializer\" =") + ") "
        + "without ND4J's registrator: set cluster.spark-conf.\"spark.kryo.registrator\" = "
        + "\"org.nd4j.kryo.Nd4jRegistrator\"");
  }

  @Test
  void aProfileWithoutMasterCannotBeSubmitted() throws IOException {
    Path confDir = dir.resolve("conf");
    Files.createDirectories(confDir.resolve("clusters"));
    Files.writeString(confDir.resolve("clusters/nomaster.conf"), "cluster.backend = cpu\n");
    LaunchCommand launch = new LaunchCommand(new LaunchCommand.Options(ROOT.toFile(), "nomaster", confDir.toFile(),
        SPARK_HOME, "java", List.of(), List.of(), "CP", false, JOB));
    assertThatThrownBy(launch::command).isInstanceOf(InvalidSettingException.class).hasMessage("Cannot submit with "
        + "cluster profile nomaster: cluster.master is empty (from "
        + defaultsOrigin("master = \"\"") + "); "
        + "spark-submit needs a cluster master: spark://HOST:PORT, yarn or k8s://https://HOST:PORT");
  }

  @Test
  void theAirflowPlanIsTheSameSubmission() {
    LaunchCommand launch = launch("yarn-gpu", List.of());
    Submission submission = Submission.of(launch.command());
    var plan = launch.airflowPlan();
    assertThat(plan.get("application").asText()).isEqualTo(submission.jar());
    assertThat(plan.get("java_class").asText()).isEqualTo(submission.flags().get("--class"));
    assertThat(plan.get("num_executors").asText()).isEqualTo(submission.flags().get("--num-executors"));
    assertThat(plan.get("files").asText()).isEqualTo(submission.flags().get("--files"));
    Map<String, String> conf = new TreeMap<>();
    plan.get("conf").fields().forEachRemaining(entry -> conf.put(entry.getKey(), entry.getValue().asText()));
    assertThat(conf).isEqualTo(submission.confs());
    List<String> prefix = new ArrayList<>();
    plan.get("application_args_prefix").forEach(arg -> prefix.add(arg.asText()));
    assertThat(prefix).isEqualTo(submission.args());
  }

  @Test
  void sizesParseWithTheirUnits() {
    assertThat(ClusterProfile.bytes("512m")).isEqualTo(512L << 20);
    assertThat(ClusterProfile.bytes("6G")).isEqualTo(6L << 30);
    assertThat(ClusterProfile.bytes("2gb")).isEqualTo(2L << 30);
    assertThat(ClusterProfile.bytes("1t")).isEqualTo(1L << 40);
  }

  private static void assertInvalid(String profile, String override, String message) {
    assertThatThrownBy(() -> launch(profile, List.of("train", "--set", override)))
        .isInstanceOf(InvalidSettingException.class).hasMessage(message);
  }

  private static LaunchCommand launch(String profile, List<String> jobArgs) {
    return new LaunchCommand(new LaunchCommand.Options(ROOT.toFile(), profile, CONF.toFile(), SPARK_HOME, "java",
        List.of("--opens"), List.of("-Xmx2g"), "CP", false, jobArgs));
  }

  private static Set<String> profileNames() {
    try (Stream<Path> files = Files.list(CONF.resolve("clusters"))) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf"))
          .map(n -> n.substring(0, n.length() - ".conf".length())).collect(Collectors.toCollection(TreeSet::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Where a profile sets something: its file and the line that holds {@code text}, as messages name it. */
  private static String origin(String profile, String text) throws IOException {
    Path file = CONF.resolve("clusters/" + profile + ".conf");
    return file + ": " + lineOf(Files.readAllLines(file), text);
  }

  /** Where the packaged defaults set something, as messages name it. */
  private static String defaultsOrigin(String text) throws IOException {
    URL defaults = ClusterProfileTest.class.getClassLoader().getResource(Settings.DEFAULTS_RESOURCE);
    try (InputStream in = defaults.openStream()) {
      List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
      return Settings.DEFAULTS_RESOURCE + " @ " + defaults + ": " + lineOf(lines, text);
    }
  }

  /** The 1-based number of the one line that holds {@code text}. */
  private static int lineOf(List<String> lines, String text) {
    List<Integer> found = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text) && !lines.get(i).trim().startsWith("#")) {
        found.add(i + 1);
      }
    }
    assertThat(found).as("lines holding %s", text).hasSize(1);
    return found.get(0);
  }

  /** The cluster settings of a profile as a job reads them: defaults, the profile, then the job's --sets. */
  private static Config profileAsRead(String name, List<String> jobArgs) {
    Config merged = ConfigFactory.parseFile(CONF.resolve("clusters/" + name + ".conf").toFile())
        .withFallback(ConfigFactory.parseFile(CONF.resolve("defaults.conf").toFile()));
    for (int i = 0; i < jobArgs.size(); i++) {
      if (jobArgs.get(i).equals("--set")) {
        merged = ConfigFactory.parseString(jobArgs.get(++i)).withFallback(merged);
      }
    }
    return merged.resolve().getConfig("cluster");
  }

  /** The environment of the processes that run tasks: native threads, no spin-waiting (defaults.conf). */
  private static List<String> environment(Config cluster) {
    return List.of("env", "OMP_NUM_THREADS=" + cluster.getInt("executor.native-threads"), "OMP_WAIT_POLICY=passive");
  }

  /** JavaCPP's limits as JVM options, for those {@code group} (driver or executor) sets. */
  private static List<String> javacppOptions(Config group) {
    List<String> options = new ArrayList<>();
    if (!group.getString("javacpp-max-bytes").isEmpty()) {
      options.add("-Dorg.bytedeco.javacpp.maxbytes=" + group.getString("javacpp-max-bytes"));
    }
    if (!group.getString("javacpp-max-physical-bytes").isEmpty()) {
      options.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + group.getString("javacpp-max-physical-bytes"));
    }
    return options;
  }

  /** spark-submit's own flags, as the comments of defaults.conf give them. */
  private static Map<String, String> expectedFlags(Config cluster) {
    Map<String, String> flags = new TreeMap<>(Map.of("--master", cluster.getString("master"), "--deploy-mode",
        cluster.getString("deploy-mode"), "--name", "spark-vae train", "--class", ClusterProfile.MAIN_CLASS));
    putIfSet(flags, "--driver-memory", cluster.getString("driver.memory"));
    putIfSet(flags, "--executor-memory", cluster.getString("executor.memory"));
    int cores = cluster.getInt("executor.cores");
    int instances = cluster.getInt("executor.instances");
    if (cores > 0) {
      flags.put("--executor-cores", Integer.toString(cores));
    }
    if (instances > 0 && cluster.getString("master").startsWith("spark://")) {
      flags.put("--total-executor-cores", Integer.toString(instances * cores));
    } else if (instances > 0) {
      flags.put("--num-executors", Integer.toString(instances));
    }
    List<String> files = cluster.getStringList("files").stream().map(file -> ROOT.resolve(file).toString()).toList();
    putIfSet(flags, "--files", String.join(",", files));
    return flags;
  }

  /**
   * The --conf settings: cluster.spark-conf as it is, and those our keys stand for (defaults.conf): the memory
   * overhead, the task environment, JavaCPP's limits in the Java options (the driver's with its log
   * configuration), for backend gpu one GPU per task with its discovery script and vendor, for cpu the BLAS kernel
   * plugin first in spark.plugins.
   */
  private static Map<String, String> expectedSparkConf(Config cluster) {
    Map<String, String> conf = new TreeMap<>();
    cluster.getObject("spark-conf").unwrapped().forEach((key, value) -> conf.put(key, value.toString()));
    putIfSet(conf, "spark.executor.memoryOverhead", cluster.getString("executor.memory-overhead"));
    conf.put("spark.executorEnv.OMP_NUM_THREADS", cluster.getString("executor.native-threads"));
    conf.put("spark.executorEnv.OMP_WAIT_POLICY", "passive");
    putIfSet(conf, "spark.executor.extraJavaOptions", String.join(" ", javacppOptions(cluster.getConfig("executor"))));
    List<String> driverOptions = new ArrayList<>(javacppOptions(cluster.getConfig("driver")));
    driverOptions.add("-Dlog4j.configurationFile=" + driverConfDir(cluster) + "/log4j2.properties");
    conf.put("spark.driver.extraJavaOptions", String.join(" ", driverOptions));
    if (cluster.getString("backend").equals("gpu")) {
      conf.put("spark.executor.resource.gpu.amount", cluster.getString("executor.gpus"));
      conf.put("spark.task.resource.gpu.amount", "1");
      conf.put("spark.executor.resource.gpu.discoveryScript", cluster.getString("gpu.discovery-script"));
      putIfSet(conf, "spark.executor.resource.gpu.vendor", cluster.getString("gpu.vendor"));
    } else {
      conf.merge("spark.plugins", "dev.sparkvae.runtime.BlasKernelPlugin", (theirs, ours) -> ours + "," + theirs);
    }
    return conf;
  }

  /** conf/ as the driver sees it: cluster.conf-dir, or this checkout's. */
  private static String driverConfDir(Config cluster) {
    return cluster.getString("conf-dir").isEmpty() ? CONF.toString() : cluster.getString("conf-dir");
  }

  private static void putIfSet(Map<String, String> map, String key, String value) {
    if (!value.isEmpty()) {
      map.put(key, value);
    }
  }

  /** The version in the root pom.xml: the one the jar names. */
  private static String projectVersion() {
    try {
      Matcher version = Pattern.compile("<artifactId>spark-vae-parent</artifactId>\\s*<version>([^<]+)</version>")
          .matcher(Files.readString(ROOT.resolve("pom.xml")));
      assertThat(version.find()).as("the version in pom.xml").isTrue();
      return version.group(1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A spark-submit command taken apart: what comes before the flags, the flags, the --conf pairs, jar, args. */
  private record Submission(List<String> head, Map<String, String> flags, Map<String, String> confs, String jar,
      List<String> args) {
    static Submission of(List<String> command) {
      int i = command.indexOf(SPARK_HOME + "/bin/spark-submit") + 1;
      Map<String, String> flags = new TreeMap<>();
      Map<String, String> confs = new TreeMap<>();
      for (; command.get(i).startsWith("--"); i += 2) {
        String flag = command.get(i);
        String value = command.get(i + 1);
        boolean conf = flag.equals("--conf");
        String key = conf ? value.substring(0, value.indexOf('=')) : flag;
        String previous = (conf ? confs : flags).put(key, conf ? value.substring(value.indexOf('=') + 1) : value);
        assertThat(previous).as("%s given once", key).isNull();
      }
      return new Submission(command.subList(0, command.indexOf(SPARK_HOME + "/bin/spark-submit") + 1), flags, confs,
          command.get(i), command.subList(i + 1, command.size()));
    }
  }

  @Test
  void settingsLoadedWithoutAProfileHaveNoName() {
    assertThat(ClusterProfile.from(Settings.defaults()).name()).isEqualTo("(none)");
  }
}
