package dev.sparkvae.jobs;

import static dev.sparkvae.jobs.LoopbackCluster.concat;
import static dev.sparkvae.jobs.LoopbackCluster.cpuJar;
import static dev.sparkvae.jobs.LoopbackCluster.localCli;
import static dev.sparkvae.jobs.LoopbackCluster.run;
import static dev.sparkvae.jobs.LoopbackCluster.script;
import static dev.sparkvae.jobs.LoopbackCluster.version;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.jobs.LoopbackCluster.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The distributed path on a real multi-process cluster: submit-scripts/standalone-cluster.sh starts a standalone
 * Master and two Workers (1 core each) on loopback from the Spark home the build assembles; {@code train} then
 * {@code encode} go through submit-scripts/sparkvae.sh and spark-submit with the shaded CPU jar; the model and the
 * encodings must match a {@code local} run of the same recipe and seed, and the executors must have been separate
 * JVMs. Runs after {@code package} (maven-failsafe).
 */
class StandaloneClusterIT {
  private static final Path ROOT = LoopbackCluster.ROOT;
  private static final Path SPARK_HOME = LoopbackCluster.SPARK_HOME;
  private static final Pattern EXECUTOR = Pattern.compile("ND4J on executor (\\d+) \\(pid (\\d+) on [^)]*\\): CPU "
      + "backend CpuBackend, BLAS OPENBLAS, 1 OMP threads");
  private static final Pattern DRIVER = Pattern.compile("ND4J on the driver \\(pid (\\d+)\\)");
  /** The tiny recipe: 2 workers, 2 epochs, the same seed everywhere. */
  private static final List<String> RECIPE = List.of("--epochs", "2", "--set", "vae.encoder-sizes=[32]", "--set",
      "vae.decoder-sizes=[32]", "--set", "vae.latent-size=8", "--set", "train.workers=2", "--set",
      "train.batch-size-per-worker=50", "--set", "train.averaging-frequency=2");
  /**
   * Parameter averaging over 2 workers is order-independent (a + b == b + a in IEEE arithmetic) and every step runs
   * the same code single-threaded on the same BLAS, so the cluster and local runs should agree to the last bit;
   * the tolerance admits float32 rounding only, orders of magnitude below what one training step changes.
   */
  private static final double TOLERANCE = 1e-6;

  @TempDir static Path dir;
  private static LoopbackCluster cluster;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster = LoopbackCluster.start(dir.resolve("cluster"));
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void trainAndEncodeOnTheClusterMatchALocalRun() throws Exception {
    String sample = ROOT.resolve("data/fashion-mnist-sample").toString();
    Path clusterModel = dir.resolve("cluster-model");
    Path clusterCodes = dir.resolve("cluster-codes");
    List<String> train = new ArrayList<>(List.of("train", "--input", sample + "/train", "--test", sample + "/test"));
    train.addAll(RECIPE);

    Run clusterTrain = cluster.submit(concat(train, List.of("--model", clusterModel.toString())), "train");
    assertThat(clusterTrain.code()).as(clusterTrain.output()).isZero();
    assertThat(clusterTrain.output()).contains("Trained 2 epochs on 2000 examples");
    Run clusterEncode = cluster.submit(List.of("encode", "--input", sample + "/test", "--model",
        clusterModel.toString(), "--output", clusterCodes.toString()), "encode");
    assertThat(clusterEncode.code()).as(clusterEncode.output()).isZero();
    assertThat(clusterEncode.output()).contains("Encoded 500 rows to " + clusterCodes);

    Path localModel = dir.resolve("local-model");
    Path localCodes = dir.resolve("local-codes");
    localCli(concat(train, List.of("--model", localModel.toString())));
    localCli(List.of("encode", "--input", sample + "/test", "--model", localModel.toString(), "--output",
        localCodes.toString()));

    MultiLayerNetwork clusterNet = ModelSerializer.restoreMultiLayerNetwork(clusterModel.resolve("model.zip").toFile());
    MultiLayerNetwork localNet = ModelSerializer.restoreMultiLayerNetwork(localModel.resolve("model.zip").toFile());
    INDArray clusterParams = clusterNet.params();
    assertThat(clusterParams.length()).isEqualTo(localNet.params().length()).isGreaterThan(50_000L);
    double paramDiff = clusterParams.sub(localNet.params()).amaxNumber().doubleValue();
    double codeDiff = maxDifference(codes(clusterCodes), codes(localCodes));
    System.out.printf("StandaloneClusterIT: max |cluster - local| parameters %.3g, z_mean/z_log_var %.3g%n", paramDiff,
        codeDiff);
    assertThat(paramDiff).as("max parameter difference, cluster vs local").isLessThanOrEqualTo(TOLERANCE);
    assertThat(codeDiff).as("max encoding difference, cluster vs local").isLessThanOrEqualTo(TOLERANCE);
    assertThat(withoutTimings(clusterModel.resolve("metrics.json"))).as("metrics.json but the timings")
        .isEqualTo(withoutTimings(localModel.resolve("metrics.json")));

    assertSeparateExecutorJvms(clusterTrain);
    assertSeparateExecutorJvms(clusterEncode);
    // Each Worker launched exactly one executor per application, in its own work directory.
    for (String worker : List.of("worker-1", "worker-2")) {
      try (Stream<Path> apps = Files.list(cluster.dir().resolve(worker))) {
        List<Path> appDirs = apps.filter(Files::isDirectory).toList();
        assertThat(appDirs).as(worker + " applications").hasSize(2);
        for (Path app : appDirs) {
          try (Stream<Path> executors = Files.list(app)) {
            assertThat(executors.filter(Files::isDirectory).toList()).as(app + " executors").hasSize(1);
          }
        }
      }
    }
  }

  @Test
  void theLauncherPicksTheJarOfTheBackendAndSaysWhenItIsNotBuilt() throws Exception {
    Run cpu = run(dir, List.of(script("sparkvae.sh"), "--cluster", "yarn-cpu", "--dry-run", "encode", "--input", "in",
        "--model", "m", "--output", "out"), Map.of("SPARK_HOME", SPARK_HOME.toString()), "dry-run-cpu");
    assertThat(cpu.code()).as(cpu.output()).isZero();
    assertThat(cpu.output().trim()).startsWith("env OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive "
        + SPARK_HOME.resolve("bin/spark-submit") + " --master yarn --deploy-mode client")
        .contains(" " + cpuJar() + " --cluster yarn-cpu --conf-dir " + ROOT.resolve("conf")
            + " encode --input in --model m --output out");

    Path gpuJar = ROOT.resolve("jobs/target/spark-vae-jobs-" + version() + "-gpu.jar");
    List<String> gpuCommand = List.of(script("sparkvae.sh"), "--cluster", "yarn-gpu", "encode", "--input", "in",
        "--model", "m", "--output", "out");
    if (Files.isRegularFile(gpuJar)) { // a -Pgpu build
      Run gpu = run(dir, concat(gpuCommand.subList(0, 3), concat(List.of("--dry-run"), gpuCommand.subList(3, 10))),
          Map.of("SPARK_HOME", SPARK_HOME.toString()), "dry-run-gpu");
      assertThat(gpu.output()).contains(" " + gpuJar + " --cluster yarn-gpu ");
    } else {
      Run gpu = run(dir, gpuCommand, Map.of("SPARK_HOME", SPARK_HOME.toString()), "gpu");
      assertThat(gpu.code()).isEqualTo(1);
      assertThat(gpu.output().trim()).isEqualTo("sparkvae.sh: Cluster profile yarn-gpu needs the GPU jar, which is "
          + "not built: " + gpuJar + " does not exist; build it with ./mvnw -B -Pgpu package -DskipTests");
    }
  }

  private static String withoutTimings(Path metrics) throws IOException {
    return Files.readString(metrics).replaceAll("\"seconds\"\\s*:\\s*[0-9.Ee-]+", "");
  }

  /** The executors logged their backend from two different JVMs, neither of them the driver. */
  private static void assertSeparateExecutorJvms(Run job) {
    Map<String, String> pidByExecutor = new TreeMap<>();
    Matcher executors = EXECUTOR.matcher(job.output());
    while (executors.find()) {
      pidByExecutor.put(executors.group(1), executors.group(2));
    }
    Matcher driver = DRIVER.matcher(job.output());
    assertThat(driver.find()).as(job.output()).isTrue();
    System.out.printf("StandaloneClusterIT: %s: driver pid %s, executor pids %s%n", job.name(), driver.group(1),
        pidByExecutor);
    assertThat(pidByExecutor).as("executor id -> pid in " + job.name()).containsOnlyKeys("0", "1");
    Set<String> pids = new TreeSet<>(pidByExecutor.values());
    assertThat(pids).as("executor pids").hasSize(2).doesNotContain(driver.group(1),
        Long.toString(ProcessHandle.current().pid()));
  }

  /** id -> z_mean followed by z_log_var. */
  private static Map<Long, float[]> codes(Path output) {
    Map<Long, float[]> codes = new HashMap<>();
    for (Row row : TestSpark.session().read().parquet(output.toString()).collectAsList()) {
      List<Float> mean = row.getList(row.fieldIndex("z_mean"));
      List<Float> logVar = row.getList(row.fieldIndex("z_log_var"));
      float[] both = new float[mean.size() + logVar.size()];
      for (int i = 0; i < both.length; i++) {
        both[i] = i < mean.size() ? mean.get(i) : logVar.get(i - mean.size());
      }
      codes.put(row.getLong(row.fieldIndex("id")), both);
    }
    return codes;
  }

  private static double maxDifference(Map<Long, float[]> a, Map<Long, float[]> b) {
    assertThat(a).hasSize(500);
    assertThat(a.keySet()).isEqualTo(b.keySet());
    double max = 0;
    for (Map.Entry<Long, float[]> entry : a.entrySet()) {
      float[] other = b.get(entry.getKey());
      assertThat(entry.getValue()).hasSameSizeAs(other);
      for (int i = 0; i < other.length; i++) {
        max = Math.max(max, Math.abs(entry.getValue()[i] - other[i]));
      }
    }
    return max;
  }
}
