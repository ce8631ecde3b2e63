package dev.sparkvae.jobs;

import static dev.sparkvae.jobs.LoopbackCluster.concat;
import static dev.sparkvae.jobs.LoopbackCluster.cpuJar;
import static dev.sparkvae.jobs.LoopbackCluster.run;
import static dev.sparkvae.jobs.LoopbackCluster.script;
import static dev.sparkvae.jobs.LoopbackCluster.version;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.jobs.LoopbackCluster.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed path on a real multi-process cluster: submit-scripts/standalone-cluster.sh starts a standalone
 * Master and two Workers (1 core each) on loopback from the Spark home the build assembles; {@code train} then
 * {@code encode} go through submit-scripts/sparkvae.sh and spark-submit with the shaded CPU jar; the model and the
 * encodings must match a {@code local} run of the same recipe and seed ({@link ReferenceRun}), and the executors
 * must have been separate JVMs. Runs after {@code package} (maven-failsafe).
 */
class StandaloneClusterIT {
  private static final Path ROOT = LoopbackCluster.ROOT;
  private static final Path SPARK_HOME = LoopbackCluster.SPARK_HOME;

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
    String sample = TestSpark.SAMPLE.toString();
    Path clusterModel = dir.resolve("cluster-model");
    Path clusterCodes = dir.resolve("cluster-codes");

    Run clusterTrain = cluster.submit(ReferenceRun.train(sample, clusterModel.toString()), "train");
    assertThat(clusterTrain.code()).as(clusterTrain.output()).isZero();
    assertThat(clusterTrain.output()).contains("Trained 2 epochs on 2000 examples");
    Run clusterEncode = cluster.submit(ReferenceRun.encode(sample, clusterModel.toString(), clusterCodes.toString()),
        "encode");
    assertThat(clusterEncode.code()).as(clusterEncode.output()).isZero();
    assertThat(clusterEncode.output()).contains("Encoded 500 rows to " + clusterCodes);

    ReferenceRun.shared().assertMatchedBy("StandaloneClusterIT", clusterModel, clusterCodes);

    new DriverLog("StandaloneClusterIT: train", clusterTrain.output()).assertSeparateExecutorJvms("0", "1");
    new DriverLog("StandaloneClusterIT: encode", clusterEncode.output()).assertSeparateExecutorJvms("0", "1");
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
}
