package dev.sparkvae.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every profile of conf/clusters: parses, validates, and gives the spark-submit (or embedded) command expected. */
class ClusterProfileTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final Path CONF = ROOT.resolve("conf");
  private static final String SPARK_HOME = "/opt/spark";
  private static final String JAR = ROOT + "/jobs/target/spark-vae-jobs-" + LaunchCommand.version();
  private static final String LOG = "-Dlog4j.configurationFile=" + CONF + "/log4j2.properties";
  /** The cluster.spark-conf of conf/defaults.conf, in every profile. */
  private static final List<String> DEFAULTS = List.of("spark.broadcast.compress=false",
      "spark.sql.parquet.enableNestedColumnVectorizedReader=true", "spark.task.maxDirectResultSize=64m");
  private static final String KRYO = "spark.serializer=org.apache.spark.serializer.KryoSerializer";
  private static final List<String> CPU_KRYO = List.of(KRYO,
      "spark.kryo.registrator=dev.sparkvae.runtime.NdArrayKryoRegistrator");
  private static final List<String> GPU_KRYO = List.of(KRYO, "spark.kryo.registrator=org.nd4j.kryo.Nd4jRegistrator");
  private static final List<String> JOB = List.of("train", "--input", "in", "--model", "m");

  @TempDir Path dir;

  @Test
  void everyProfileGivesItsCommand() {
    Map<String, List<String>> expected = new TreeMap<>();
    expected.put("local", command(List.of("env", "OMP_NUM_THREADS=1", "OMP_WAIT_POLICY=passive", "java", "--opens",
        "-Xmx8g", "-Dorg.bytedeco.javacpp.maxbytes=6g", "-Dorg.bytedeco.javacpp.maxphysicalbytes=14g", "-Xmx2g", LOG,
        "-cp", "CP", "dev.sparkvae.cli.Cli"), "local", CONF.toString()));
    expected.put("standalone", submit(1, List.of("--master", "spark://spark-master:7077", "--deploy-mode", "client",
        "--name", "spark-vae train", "--class", "dev.sparkvae.cli.Cli", "--driver-memory", "4g",
        "--executor-memory", "8g", "--executor-cores", "4", "--total-executor-cores", "16"),
        confs(List.of("spark.executor.memoryOverhead=6g"), 1, "5g", "14g", "2g", "8g", LOG, List.of(), CPU_KRYO,
            List.of("spark.sql.shuffle.partitions=64")), JAR + "-cpu.jar", "standalone", CONF.toString()));
    expected.put("loopback", submit(1, List.of("--master", "spark://127.0.0.1:7077", "--deploy-mode", "client",
        "--name", "spark-vae train", "--class", "dev.sparkvae.cli.Cli", "--driver-memory", "1g",
        "--executor-memory", "1g", "--executor-cores", "1", "--total-executor-cores", "2"),
        confs(List.of("spark.executor.memoryOverhead=2g"), 1, "1g", "3g", "1g", "3g", LOG, List.of(),
            List.of("spark.driver.bindAddress=127.0.0.1", "spark.driver.host=127.0.0.1"), CPU_KRYO,
            List.of("spark.scheduler.maxRegisteredResourcesWaitingTime=120s",
                "spark.scheduler.minRegisteredResourcesRatio=1.0", "spark.sql.shuffle.partitions=4",
                "spark.ui.enabled=false")),
        JAR + "-cpu.jar", "loopback", CONF.toString()));
    expected.put("yarn-cpu", submit(1, List.of("--master", "yarn", "--deploy-mode", "client",
        "--name", "spark-vae train", "--class", "dev.sparkvae.cli.Cli", "--driver-memory", "4g",
        "--executor-memory", "8g", "--executor-cores", "4", "--num-executors", "8"),
        confs(List.of("spark.executor.memoryOverhead=6g"), 1, "5g", "14g", "2g", "8g", LOG, List.of(),
            List.of("spark.dynamicAllocation.enabled=false"), CPU_KRYO, List.of("spark.sql.shuffle.partitions=128")),
        JAR + "-cpu.jar", "yarn-cpu", CONF.toString()));
    expected.put("yarn-gpu", submit(2, List.of("--master", "yarn", "--deploy-mode", "client",
        "--name", "spark-vae train", "--class", "dev.sparkvae.cli.Cli", "--driver-memory", "4g",
        "--executor-memory", "8g", "--executor-cores", "1", "--num-executors", "4",
        "--files", ROOT + "/submit-scripts/gpu-discovery.sh"),
        confs(List.of("spark.executor.memoryOverhead=8g"), 2, "6g", "16g", "2g", "8g", LOG,
            List.of("spark.executor.resource.gpu.amount=1", "spark.task.resource.gpu.amount=1",
                "spark.executor.resource.gpu.discoveryScript=./gpu-discovery.sh"),
            List.of("spark.dynamicAllocation.enabled=false"), GPU_KRYO, List.of("spark.sql.shuffle.partitions=64")),
        JAR + "-gpu.jar", "yarn-gpu", CONF.toString()));
    expected.put("k8s-gpu", submit(2, List.of("--master", "k8s://https://kubernetes.default.svc:443",
        "--deploy-mode", "cluster", "--name", "spark-vae train", "--class", "dev.sparkvae.cli.Cli",
        "--driver-memory", "4g", "--executor-memory", "8g", "--executor-cores", "1", "--num-executors", "2"),
        confs(List.of("spark.executor.memoryOverhead=8g"), 2, "6g", "16g", "2g", "8g",
            "-Dlog4j.configurationFile=/opt/spark-vae/conf/log4j2.properties",
            List.of("spark.executor.resource.gpu.amount=1", "spark.task.resource.gpu.amount=1",
                "spark.executor.resource.gpu.discoveryScript=/opt/spark-vae/submit-scripts/gpu-discovery.sh",
                "spark.executor.resource.gpu.vendor=nvidia.com"),
            List.of("spark.dynamicAllocation.enabled=false"), GPU_KRYO,
            List.of("spark.kubernetes.authenticate.driver.serviceAccountName=spark",
                "spark.kubernetes.container.image=registry.example.com/spark-vae:0.1.0-gpu",
                "spark.kubernetes.namespace=spark-vae")),
        "local:///opt/spark-vae/spark-vae-jobs-gpu.jar", "k8s-gpu", "/opt/spark-vae/conf"));

    assertThat(profileNames()).as("profiles in conf/clusters (each needs its expected command here)")
        .isEqualTo(expected.keySet());
    for (Map.Entry<String, List<String>> entry : expected.entrySet()) {
      List<String> job = new ArrayList<>(JOB);
      if (entry.getKey().equals("loopback")) {
        job.addAll(List.of("--set", "cluster.master=\"spark://127.0.0.1:7077\""));
      }
      List<String> command = launch(entry.getKey(), job).command();
      List<String> wanted = new ArrayList<>(entry.getValue());
      wanted.addAll(job.subList(JOB.size(), job.size()));
      assertThat(command).as(entry.getKey()).isEqualTo(wanted);
    }
  }

  @Test
  void jobSettingsChangeTheSubmission() {
    List<String> command = launch("yarn-cpu", List.of("train", "--config", CONF + "/jobs/fmnist-reference.conf",
        "--set", "cluster.executor.memory=12g", "--set=cluster.executor.instances=3")).command();
    assertThat(String.join(" ", command)).contains("--executor-memory 12g --executor-cores 4 --num-executors 3 ");
  }

  @Test
  void aGpuProfileOnTheCpuBackendFailsNamingProfileKeyAndWhatWasFound() {
    ClusterProfile gpu = launch("yarn-gpu", JOB).profile();
    Nd4jBackendInfo found = Nd4jBackendInfo.current();
    assertThat(found.isCuda()).as("the tests run on the CPU backend").isFalse();
    assertThatThrownBy(() -> gpu.requireBackend(found, "executor 1 (pid 4242 on node-7)"))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("Cluster profile yarn-gpu asks for the GPU backend (cluster.backend = gpu, from "
            + CONF.resolve("clusters/yarn-gpu.conf") + ": 8), but on executor 1 (pid 4242 on node-7) ND4J loaded "
            + "its CPU backend (" + found.describe() + "): run the GPU jar (built with ./mvnw -Pgpu package) on "
            + "nodes with an NVIDIA GPU and the CUDA 11.6 runtime");
    assertThat(found.describe()).startsWith("CPU backend CpuBackend, BLAS OPENBLAS, ");

    Nd4jBackendInfo cudaWithoutDevice = new Nd4jBackendInfo("CUDA", "JCublasBackend", "CUBLAS", 1, 1, 0, 1L << 30,
        2L << 30, "n/a", BlasKernel.Isa.AVX2);
    assertThatThrownBy(() -> gpu.requireBackend(cudaWithoutDevice, "the driver (pid 1)"))
        .hasMessageContaining("but on the driver (pid 1) ND4J loaded its CUDA backend but sees no CUDA device "
            + "(CUDA backend JCublasBackend, BLAS CUBLAS, 1 OMP threads, 1 BLAS threads, 0 CUDA devices, "
            + "JavaCPP maxbytes 1.0 GiB, maxphysicalbytes 2.0 GiB)");
    gpu.requireBackend(new Nd4jBackendInfo("CUDA", "JCublasBackend", "CUBLAS", 1, 1, 2, 1, 2, "n/a",
        BlasKernel.Isa.AVX2), "executor 0");

    ClusterProfile cpu = launch("yarn-cpu", JOB).profile();
    cpu.requireBackend(found, "executor 0");
    assertThatThrownBy(() -> cpu.requireBackend(cudaWithoutDevice, "executor 0"))
        .hasMessageStartingWith("Cluster profile yarn-cpu asks for the CPU backend (cluster.backend = cpu, from "
            + CONF.resolve("clusters/yarn-cpu.conf") + ": 7), but on executor 0 ND4J loaded its GPU backend");
  }

  @Test
  void inconsistentSettingsFailBeforeAnythingStarts() {
    assertInvalid("yarn-cpu", "cluster.executor.javacpp-max-bytes=7g", "Cannot set cluster.executor.javacpp-max-bytes"
        + " to \"7g\" (from --set cluster.executor.javacpp-max-bytes=7g: 1) in cluster profile yarn-cpu: ND4J's arrays"
        + " live off-heap: it must be below cluster.executor.memory-overhead (6g)");
    assertInvalid("yarn-cpu", "cluster.executor.javacpp-max-physical-bytes=15g", "Cannot set "
        + "cluster.executor.javacpp-max-physical-bytes to \"15g\" (from --set "
        + "cluster.executor.javacpp-max-physical-bytes=15g: 1) in cluster profile yarn-cpu: it must not exceed the "
        + "container, cluster.executor.memory + cluster.executor.memory-overhead (8g + 6g)");
    assertInvalid("local", "cluster.driver.memory=16g", "Cannot set cluster.driver.javacpp-max-physical-bytes to "
        + "\"14g\" (from " + CONF.resolve("clusters/local.conf") + ": 10) in cluster profile local: it counts the "
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
        + CONF.resolve("clusters/k8s-gpu.conf") + ": 7) in cluster profile k8s-gpu: in cluster mode the driver runs "
        + "on the cluster: set cluster.conf-dir to conf/ as the driver sees it (e.g. in its container image)");
    assertInvalid("yarn-cpu", "cluster.master=\"mesos://m:5050\"", "Cannot set cluster.master to "
        + "\"mesos://m:5050\" (from --set cluster.master=\"mesos://m:5050\": 1) in cluster profile yarn-cpu: the value "
        + "must be local[...], spark://HOST:PORT, yarn or k8s://https://HOST:PORT");
    assertInvalid("yarn-cpu", "cluster.spark-conf.\"spark.kryo.registrator\"=\"\"", "Cannot use Kryo "
        + "(cluster.spark-conf.\"spark.serializer\" from " + CONF.resolve("clusters/yarn-cpu.conf") + ": 23) "
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
        + "cluster profile nomaster: cluster.master is empty (from dev/sparkvae/defaults.conf @ "
        + ClusterProfileTest.class.getClassLoader().getResource("dev/sparkvae/defaults.conf") + ": 10); "
        + "spark-submit needs a cluster master: spark://HOST:PORT, yarn or k8s://https://HOST:PORT");
  }

  @Test
  void theAirflowPlanIsTheSameSubmission() {
    LaunchCommand launch = launch("yarn-gpu", List.of());
    var plan = launch.airflowPlan();
    assertThat(plan.get("application").asText()).isEqualTo(JAR + "-gpu.jar");
    assertThat(plan.get("java_class").asText()).isEqualTo("dev.sparkvae.cli.Cli");
    assertThat(plan.get("num_executors").asInt()).isEqualTo(4);
    assertThat(plan.get("files").asText()).isEqualTo(ROOT + "/submit-scripts/gpu-discovery.sh");
    assertThat(plan.get("conf").get("spark.executor.resource.gpu.amount").asText()).isEqualTo("1");
    assertThat(plan.get("application_args_prefix").toString())
        .isEqualTo("[\"--cluster\",\"yarn-gpu\",\"--conf-dir\",\"" + CONF + "\"]");
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

  private static java.util.Set<String> profileNames() {
    try (Stream<Path> files = Files.list(CONF.resolve("clusters"))) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".conf"))
          .map(n -> n.substring(0, n.length() - ".conf".length())).collect(Collectors.toCollection(
              java.util.TreeSet::new));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The spark-submit command: driver environment, program, flags, --conf pairs, jar, profile args, job. */
  private static List<String> submit(int threads, List<String> flags, List<String> confs, String jar, String profile,
      String confDir) {
    List<String> command = new ArrayList<>(List.of("env", "OMP_NUM_THREADS=" + threads, "OMP_WAIT_POLICY=passive",
        new File(SPARK_HOME, "bin/spark-submit").getPath()));
    command.addAll(flags);
    confs.forEach(conf -> command.addAll(List.of("--conf", conf)));
    command.add(jar);
    return command(command, profile, confDir);
  }

  private static List<String> command(List<String> head, String profile, String confDir) {
    List<String> command = new ArrayList<>(head);
    command.addAll(List.of("--cluster", profile, "--conf-dir", confDir));
    command.addAll(JOB);
    return command;
  }

  /** The profile's --conf entries in order: ours (the BLAS kernel plugin on CPU), then cluster.spark-conf with {@link #DEFAULTS}, sorted by key. */
  @SafeVarargs
  private static List<String> confs(List<String> overhead, int threads, String maxBytes, String maxPhysical,
      String driverMaxBytes, String driverMaxPhysical, String log, List<String> gpu, List<String>... sparkConf) {
    List<String> confs = new ArrayList<>(overhead);
    confs.add("spark.executorEnv.OMP_NUM_THREADS=" + threads);
    confs.add("spark.executorEnv.OMP_WAIT_POLICY=passive");
    confs.add("spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=" + maxBytes
        + " -Dorg.bytedeco.javacpp.maxphysicalbytes=" + maxPhysical);
    confs.add("spark.driver.extraJavaOptions=-Dorg.bytedeco.javacpp.maxbytes=" + driverMaxBytes
        + " -Dorg.bytedeco.javacpp.maxphysicalbytes=" + driverMaxPhysical + " " + log);
    confs.addAll(gpu);
    if (gpu.isEmpty()) {
      confs.add("spark.plugins=dev.sparkvae.runtime.BlasKernelPlugin");
    }
    List<String> sorted = new ArrayList<>(DEFAULTS);
    for (List<String> part : sparkConf) {
      sorted.addAll(part);
    }
    sorted.sort(Comparator.comparing(conf -> conf.substring(0, conf.indexOf('='))));
    confs.addAll(sorted);
    return confs;
  }

  @Test
  void settingsLoadedWithoutAProfileHaveNoName() {
    assertThat(ClusterProfile.from(Settings.defaults()).name()).isEqualTo("(none)");
  }
}
