package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.jobs.LoopbackCluster.Run;
import dev.sparkvae.runtime.FaultInjection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a lost executor or a failing task costs on a real multi-process cluster ({@link LoopbackCluster}): time,
 * never rows. Faults are injected with {@link FaultInjection} through the job's own Spark settings, so the jobs run
 * exactly as users submit them.
 */
class ReliabilityIT {
  @TempDir static Path dir;
  private static LoopbackCluster cluster;
  private static String input;
  private static String model;

  @BeforeAll
  static void clusterModelAndInput() throws Exception {
    cluster = LoopbackCluster.start(dir.resolve("cluster"));
    input = dir.resolve("input").toString();
    // Two files of 1,000 rows: two partitions, one task on each executor.
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("train").toString()).repartition(2)
        .write().parquet(input);
    model = dir.resolve("model").toString();
    TestModels.write(model, 784, 500);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static List<String> encode(String output, String fault) {
    return withFault(List.of("encode", "--input", input, "--model", model, "--output", output), fault);
  }

  @Test
  void anExecutorKilledDuringEncodeCostsNoRow() throws Exception {
    String clean = dir.resolve("clean").toString();
    String recovered = dir.resolve("recovered").toString();
    Run cleanRun = cluster.submit(encode(clean, null), "encode-clean");
    assertThat(cleanRun.code()).as(cleanRun.output()).isZero();

    Run killed = cluster.submit(encode(recovered, "exit@score:partition=1:attempt=0"), "encode-executor-killed");

    assertThat(killed.code()).as(killed.output()).isZero();
    assertThat(killed.output()).as("the executor JVM of partition 1 died and the task ran again")
        .containsPattern("Lost task 1\\.0 in stage [0-9.]+ \\(TID \\d+\\) \\(127\\.0\\.0\\.1 executor \\d\\): "
            + "ExecutorLostFailure \\(executor \\d exited caused by one of the running tasks\\) Reason: Command "
            + "exited with code 137");
    assertThat(killed.output()).contains("Encoded 2000 rows to " + recovered);
    assertThat(executorsOfLatestApplication()).as("a Worker started a new executor for the killed one")
        .isEqualTo(3);
    Dataset<Row> out = TestSpark.session().read().parquet(recovered);
    assertThat(out.count()).isEqualTo(2000);
    assertThat(out.select("id").distinct().count()).as("ids unique").isEqualTo(2000);
    assertThat(out.orderBy("id").collectAsList()).as("the same rows and values as a clean run")
        .isEqualTo(TestSpark.session().read().parquet(clean).orderBy("id").collectAsList());
  }

  /** The training recipe of the cluster scenarios ({@link ReferenceRun}'s). */
  private static List<String> trainRecipe(Path model) {
    return ReferenceRun.train(TestSpark.SAMPLE.toString(), model.toString());
  }

  /** The model of an undisturbed run of {@link #trainRecipe}, trained on the cluster once for the tests. */
  private static synchronized Path undisturbedModel() throws Exception {
    Path model = dir.resolve("undisturbed");
    if (!Files.isDirectory(model)) {
      Run clean = cluster.submit(trainRecipe(model), "train-clean");
      assertThat(clean.code()).as(clean.output()).isZero();
    }
    return model;
  }

  @Test
  void anExecutorKilledDuringATrainingRoundCostsNoQuality() throws Exception {
    Path undisturbed = undisturbedModel();
    Path recovered = dir.resolve("recovered-model");

    // Iteration 13 lies in the seventh of the ten rounds of the first epoch (2 steps per worker and round).
    Run killed = cluster.submit(withFault(trainRecipe(recovered), "exit@train:partition=0:attempt=0:iteration=13"),
        "train-executor-killed");

    assertThat(killed.code()).as(killed.output()).isZero();
    assertThat(killed.output()).as("the executor JVM of worker 0 died in a round, which ran again")
        .containsPattern("ExecutorLostFailure \\(executor \\d exited caused by one of the running tasks\\) Reason: "
            + "Command exited with code 137");
    INDArray trained = ReferenceRun.parameters(recovered);
    assertThat(trained.isInfinite().any() || trained.isNaN().any()).as("finite parameters").isFalse();
    double cleanElbo = lastTestNegElbo(undisturbed);
    double recoveredElbo = lastTestNegElbo(recovered);
    System.out.printf("ReliabilityIT: test -ELBO after 2 epochs: undisturbed %.4f, executor killed %.4f%n",
        cleanElbo, recoveredElbo);
    // The round ran again from the same broadcast on the same minibatches with the same seeds: nothing changes.
    assertThat(recoveredElbo).as("test -ELBO of the undisturbed run, to the bit").isEqualTo(cleanElbo);
    assertThat(trained).as("the parameters of the undisturbed run").isEqualTo(ReferenceRun.parameters(undisturbed));
  }

  @Test
  void aDriverKilledMidTrainingResumesFromItsCheckpoint() throws Exception {
    Path undisturbed = undisturbedModel();
    Path model = dir.resolve("resumed-model");
    Path firstCheckpoint = dir.resolve("resumed-model.checkpoints/epoch-0001");

    Process driver = cluster.submitInBackground(trainRecipe(model), "train-driver-killed");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
    while (!Files.isDirectory(firstCheckpoint) && driver.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(firstCheckpoint).as("the checkpoint of epoch 1, written before the kill").isDirectory();
    driver.descendants().forEach(ProcessHandle::destroyForcibly);
    driver.destroyForcibly();
    assertThat(driver.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(driver.exitValue()).as("the driver was killed").isNotZero();
    assertThat(model).as("no model from the killed run").doesNotExist();

    List<String> resume = new ArrayList<>(trainRecipe(model));
    resume.add("--resume");
    Run resumed = cluster.submit(resume, "train-resumed");

    assertThat(resumed.code()).as(resumed.output()).isZero();
    assertThat(resumed.output()).contains("train: resuming after epoch 1 from file:" + firstCheckpoint);
    JsonNode metrics = JsonFiles.MAPPER.readTree(model.resolve("metrics.json").toFile());
    assertThat(metrics.size()).as("epochs 1 and 2").isEqualTo(2);
    double cleanElbo = lastTestNegElbo(undisturbed);
    double resumedElbo = lastTestNegElbo(model);
    System.out.printf("ReliabilityIT: test -ELBO after 2 epochs: uninterrupted %.4f, driver killed and resumed "
        + "%.4f%n", cleanElbo, resumedElbo);
    // The checkpoint holds parameters, Adam's state and counters to the bit, and every epoch is seeded.
    assertThat(resumedElbo).as("test -ELBO of the uninterrupted run, to the bit").isEqualTo(cleanElbo);
    assertThat(ReferenceRun.parameters(model)).as("the parameters of the uninterrupted run")
        .isEqualTo(ReferenceRun.parameters(undisturbed));
  }

  private static List<String> withFault(List<String> args, String fault) {
    List<String> all = new ArrayList<>(args);
    if (fault != null) {
      all.addAll(List.of("--set", "cluster.spark-conf.\"" + FaultInjection.KEY + "\"=\"" + fault + "\""));
    }
    return all;
  }

  private static double lastTestNegElbo(Path model) throws Exception {
    JsonNode metrics = JsonFiles.MAPPER.readTree(model.resolve("metrics.json").toFile());
    return metrics.get(metrics.size() - 1).get("test_neg_elbo").asDouble();
  }

  @Test
  void aTaskThatAlwaysFailsFailsTheJobAndLeavesNothing() throws Exception {
    String output = dir.resolve("never").toString();

    Run failed = cluster.submit(encode(output, "throw@score:partition=0"), "encode-always-failing");

    assertThat(failed.code()).as(failed.output()).isEqualTo(1);
    assertThat(failed.output()).containsPattern("sparkvae encode failed: .*Injected fault \\("
        + FaultInjection.KEY + "=throw@score:partition=0\\) at score in partition 0, attempt 3");
    assertThat(dir.resolve("never")).as("nothing at the final path").doesNotExist();
    try (Stream<Path> siblings = Files.list(dir)) {
      assertThat(siblings.map(p -> p.getFileName().toString())).as("no staging directory left behind")
          .noneMatch(name -> name.startsWith(".never"));
    }
  }

  /** The executors the Workers started for the latest application (one directory each). */
  private static long executorsOfLatestApplication() throws Exception {
    List<Path> apps = new ArrayList<>();
    for (String worker : List.of("worker-1", "worker-2")) {
      try (Stream<Path> workerApps = Files.list(cluster.dir().resolve(worker))) {
        workerApps.filter(Files::isDirectory).forEach(apps::add);
      }
    }
    String latest = apps.stream().map(app -> app.getFileName().toString()).max(String::compareTo).orElseThrow();
    long executors = 0;
    for (Path app : apps.stream().filter(app -> app.getFileName().toString().equals(latest)).toList()) {
      try (Stream<Path> dirs = Files.list(app)) {
        executors += dirs.filter(Files::isDirectory).count();
      }
    }
    return executors;
  }
}
