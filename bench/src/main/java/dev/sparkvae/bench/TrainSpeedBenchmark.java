package dev.sparkvae.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.IdxFile;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.jobs.TrainJob;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.runtime.SparkSessions;
import dev.sparkvae.training.RoundTimings;
import dev.sparkvae.training.VaePretrainingStep;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training speed and quality, single process against Spark (issue 6). One part per JVM (bench/train-speed.sh runs
 * them in turn), each writing a JSON file into the work directory; {@code report} prints the tables.
 *
 * <ul>
 *   <li>{@code floor}: FLOPs of one training step per example, the single-thread sgemm rate and the rate of the
 *       step's largest GEMM: the best possible single-thread examples/s.
 *   <li>{@code local --threads N}: the recipe trained in one process with {@link LocalTraining} (no Spark).
 *   <li>{@code spark}: the recipe trained by the real {@link TrainJob} on the cluster profile given (local[2] or a
 *       standalone cluster), with its round-time breakdown.
 *   <li>{@code report}: one table of examples/s and test −ELBO after the same epochs, ratios to the single thread,
 *       and the round breakdown of the Spark runs.
 * </ul>
 *
 * <p>Every run starts from the same network (same seed) and sees the same 60,000 rows per epoch in minibatches of
 * {@code train.batch-size-per-worker}; every final model is scored on the same test rows by
 * {@link LocalTraining#testNegElbo}. Epoch figures are medians over epochs 2..E (the first pays for JIT and
 * caching).
 */
public final class TrainSpeedBenchmark {
  private static final int SGEMM_SIZE = 1024;
  /** Rows of the cost model's data set. */
  private static final long MODEL_ROWS = 100_000_000L;
  /** The cost model's network bandwidth per executor and at the driver: 10 Gbit/s. */
  private static final double NETWORK_BYTES_PER_SECOND = 1.25e9;
  /** The cost model's driver time per task and round: launching it and handling its result. */
  private static final double TASK_MILLIS = 1.0;
  /** Minibatch sizes whose single-thread step time the floor part measures (the cost model fits them). */
  private static final int[] STEP_BATCHES = {32, 64, 128, 256, 512};
  private static final int STEP_REPEATS = 25;
  /** Steps run before any is timed, so that the JIT has compiled DL4J's code. */
  private static final int STEP_WARM_UP = 100;
  /** The cost model's executor counts and minibatch sizes. */
  private static final int[] MODEL_EXECUTORS = {8, 32, 128};
  private static final int[] MODEL_BATCHES = {64, 256};

  private final Map<String, List<String>> options;
  private final String loadAtStart = EncodeComputeBenchmark.loadAverage();

  private TrainSpeedBenchmark(Map<String, List<String>> options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: TrainSpeedBenchmark floor|local|spark|report [--option value]...");
      System.exit(2);
    }
    Map<String, List<String>> options = new LinkedHashMap<>();
    for (int i = 1; i < args.length; i += 2) {
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("Missing value after " + args[i]);
      }
      options.computeIfAbsent(args[i], k -> new ArrayList<>()).add(args[i + 1]);
    }
    TrainSpeedBenchmark benchmark = new TrainSpeedBenchmark(options);
    switch (args[0]) {
      case "floor" -> benchmark.write(benchmark.floor());
      case "local" -> benchmark.write(benchmark.local());
      case "spark" -> benchmark.write(benchmark.spark());
      case "report" -> benchmark.report();
      default -> throw new IllegalArgumentException("Unknown part " + args[0]);
    }
  }

  private String option(String name) {
    List<String> values = options.get(name);
    if (values == null) {
      throw new IllegalArgumentException("Missing option " + name);
    }
    return values.get(values.size() - 1);
  }

  private Settings recipe() {
    List<String> sets = options.getOrDefault("--set", List.of());
    String cluster = options.containsKey("--cluster-file") ? option("--cluster-file") : null;
    return Settings.load(cluster == null ? null : new File(cluster), new File(option("--recipe")), sets);
  }

  private ObjectNode header(String part, Settings settings) {
    TrainSettings train = TrainSettings.from(settings);
    ObjectNode json = JsonFiles.MAPPER.createObjectNode();
    json.put("part", part);
    json.put("label", options.containsKey("--label") ? option("--label") : part);
    json.put("batch", train.batchSizePerWorker());
    json.put("averaging_frequency", train.averagingFrequency());
    json.put("epochs", train.epochs());
    json.put("load_at_start", loadAtStart);
    json.put("omp_num_threads", String.valueOf(System.getenv("OMP_NUM_THREADS")));
    return json;
  }

  /** FLOPs per example and the GEMM rates of one thread. */
  ObjectNode floor() {
    setThreads(1);
    Settings settings = recipe();
    VaeSpec spec = VaeSpec.from(settings);
    int features = Integer.parseInt(options.getOrDefault("--features", List.of("784")).get(0));
    TrainSettings train = TrainSettings.from(settings);
    double flops = 2.0 * spec.trainingMultiplyAdds(features);
    Sgemm sgemm = Sgemm.nd4j(SGEMM_SIZE);
    double sgemmRate = gflops(sgemm.multiply(), 2.0 * SGEMM_SIZE * SGEMM_SIZE * SGEMM_SIZE);
    sgemm.close().run();
    int hidden = spec.encoderSizes().length > 0 ? spec.encoderSizes()[0] : 2 * spec.latentSize();
    INDArray x = Nd4j.rand(DataType.FLOAT, train.batchSizePerWorker(), features);
    INDArray w = Nd4j.rand(DataType.FLOAT, features, hidden);
    double stepShapeRate = gflops(() -> x.mmul(w), 2.0 * train.batchSizePerWorker() * features * hidden);
    ObjectNode json = header("floor", settings);
    json.put("flops_per_example", flops);
    json.put("sgemm_gflops", sgemmRate);
    json.put("step_gemm_gflops", stepShapeRate);
    json.put("step_gemm_shape", train.batchSizePerWorker() + "x" + features + "x" + hidden);
    json.put("floor_examples_per_s", sgemmRate * 1e9 / flops);
    json.put("step_shape_floor_examples_per_s", stepShapeRate * 1e9 / flops);
    ObjectNode steps = json.putObject("step_ms_by_batch");
    stepMillis(spec, train, features, STEP_BATCHES[STEP_BATCHES.length / 2], STEP_WARM_UP);
    for (int batch : STEP_BATCHES) {
      steps.put(String.valueOf(batch), stepMillis(spec, train, features, batch, STEP_REPEATS));
    }
    return json;
  }

  /** Milliseconds of one training step on a minibatch of {@code batch} rows: the median of {@code repeats}. */
  private static double stepMillis(VaeSpec spec, TrainSettings train, int features, int batch, int repeats) {
    MultiLayerNetwork net = VaeNetworks.create(spec, train, features);
    INDArray x = Nd4j.rand(DataType.FLOAT, batch, features);
    double[] millis = new double[repeats];
    for (int i = -5; i < repeats; i++) {
      long start = System.nanoTime();
      VaePretrainingStep.fit(net, x, i);
      if (i >= 0) {
        millis[i] = (System.nanoTime() - start) / 1e6;
      }
    }
    return EncodeComputeBenchmark.median(millis);
  }

  /** The recipe trained in this process with {@code --threads} native threads. */
  ObjectNode local() throws IOException {
    int threads = Integer.parseInt(option("--threads"));
    setThreads(threads);
    Settings settings = recipe();
    TrainSettings train = TrainSettings.from(settings);
    float[][] images = IdxFile.readImages(Path.of(option("--train-images")), Integer.MAX_VALUE);
    float[][] test = IdxFile.readImages(Path.of(option("--test-images")), Integer.MAX_VALUE);
    MultiLayerNetwork net = VaeNetworks.create(VaeSpec.from(settings), train, images[0].length);
    List<LocalTraining.Epoch> epochs = LocalTraining.run(net, train, images, test);
    ObjectNode json = header("local", settings);
    json.put("threads", threads);
    json.put("workers", 1);
    ArrayNode list = json.putArray("epochs_detail");
    for (LocalTraining.Epoch e : epochs) {
      list.addObject().put("epoch", e.epoch()).put("seconds", e.seconds()).put("examples", e.examples())
          .put("test_neg_elbo", e.testNegElbo());
    }
    json.put("final_test_neg_elbo", epochs.get(epochs.size() - 1).testNegElbo());
    json.put("load_at_end", EncodeComputeBenchmark.loadAverage());
    return json;
  }

  /** The recipe trained by the train job on the given cluster profile. */
  ObjectNode spark() throws IOException {
    Settings settings = recipe();
    TrainSettings train = TrainSettings.from(settings);
    float[][] test = IdxFile.readImages(Path.of(option("--test-images")), Integer.MAX_VALUE);
    TrainJob.Result result;
    String master;
    try (SparkSession spark = SparkSessions.create(settings, "spark-vae train speed benchmark")) {
      master = spark.sparkContext().master();
      result = new TrainJob(spark, settings, new TrainJob.Options(option("--input"), option("--test"),
          option("--work") + "/model-" + option("--label").replaceAll("[^A-Za-z0-9]+", "-"), true)).run();
    }
    ObjectNode json = header("spark", settings);
    json.put("master", master);
    json.put("workers", train.workers());
    ArrayNode list = json.putArray("epochs_detail");
    for (int i = 0; i < result.metrics().size(); i++) {
      EpochMetrics m = result.metrics().get(i);
      ObjectNode epoch = list.addObject().put("epoch", m.epoch()).put("seconds", m.seconds())
          .put("examples", m.examples()).put("test_neg_elbo", m.testNegElbo());
      RoundTimings rounds = result.rounds().get(i);
      epoch.put("rounds", rounds.rounds());
      rounds.breakdown().forEach(epoch::put);
    }
    MultiLayerNetwork trained = result.artifact().network();
    json.put("final_test_neg_elbo", LocalTraining.testNegElbo(trained, test));
    json.put("state_bytes", 4 * (trained.numParams() + trained.getUpdater().getStateViewArray().length()));
    json.put("load_at_end", EncodeComputeBenchmark.loadAverage());
    return json;
  }

  private void write(ObjectNode json) throws IOException {
    String out = option("--out");
    JsonFiles.MAPPER.writerWithDefaultPrettyPrinter().writeValue(new File(out), json);
    System.out.println(json);
  }

  /** Markdown tables over the JSON files of the work directory. */
  void report() throws IOException {
    List<JsonNode> runs = new ArrayList<>();
    try (Stream<Path> files = Files.list(Path.of(option("--work")))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        runs.add(JsonFiles.MAPPER.readTree(file.toFile()));
      }
    }
    JsonNode floor = runs.stream().filter(r -> r.get("part").asText().equals("floor")).findFirst().orElse(null);
    List<JsonNode> trained = runs.stream().filter(r -> r.has("epochs_detail")).toList();
    JsonNode baseline = trained.stream().filter(r -> r.get("part").asText().equals("local")
        && r.get("threads").asInt() == 1).findFirst().orElse(null);
    System.out.println();
    if (floor != null) {
      System.out.printf(Locale.ROOT, "Floor: %.2f MFLOP per example (one step, forward and backward); one thread: "
          + "sgemm %d³ %.1f GFLOP/s, the step's largest GEMM (%s) %.1f GFLOP/s: at most %,.0f examples/s "
          + "(%,.0f at the step's GEMM rate).%n%n", floor.get("flops_per_example").asDouble() / 1e6, SGEMM_SIZE,
          floor.get("sgemm_gflops").asDouble(), floor.get("step_gemm_shape").asText(),
          floor.get("step_gemm_gflops").asDouble(), floor.get("floor_examples_per_s").asDouble(),
          floor.get("step_shape_floor_examples_per_s").asDouble());
      if (floor.has("step_ms_by_batch")) {
        StringBuilder steps = new StringBuilder("One thread's training step by minibatch size:");
        floor.get("step_ms_by_batch").fields().forEachRemaining(e -> steps.append(String.format(Locale.ROOT,
            " %s rows %.2f ms (%,.0f examples/s);", e.getKey(), e.getValue().asDouble(),
            Integer.parseInt(e.getKey()) * 1e3 / e.getValue().asDouble())));
        System.out.println(steps.substring(0, steps.length() - 1) + ".");
        System.out.println();
      }
    }
    System.out.println("| run | batch × workers, averaging | s/epoch | examples/s | vs 1 thread | test −ELBO after "
        + "last epoch | vs 1 thread | load (start → end) |");
    System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    double baseSeconds = baseline == null ? Double.NaN : medianSeconds(baseline);
    double baseElbo = baseline == null ? Double.NaN : baseline.get("final_test_neg_elbo").asDouble();
    for (JsonNode run : trained) {
      double seconds = medianSeconds(run);
      double examples = run.get("epochs_detail").get(0).get("examples").asDouble();
      double elbo = run.get("final_test_neg_elbo").asDouble();
      System.out.printf(Locale.ROOT, "| %s | %d × %d, every %d | %.2f | %,.0f | %.2f× | %.2f (%d epochs) | %+.2f%% "
          + "| %s → %s |%n", run.get("label").asText(), run.get("batch").asInt(), run.get("workers").asInt(),
          run.get("averaging_frequency").asInt(), seconds, examples / seconds, baseSeconds / seconds, elbo,
          run.get("epochs").asInt(), 100 * (elbo - baseElbo) / baseElbo, firstField(run, "load_at_start"),
          firstField(run, "load_at_end"));
    }
    List<JsonNode> spark = trained.stream().filter(r -> r.get("part").asText().equals("spark")).toList();
    if (!spark.isEmpty()) {
      String[] keys = {"round_ms", "prepare_ms", "broadcast_ms", "job_ms", "slowest_task_ms",
          "job_beyond_slowest_task_ms", "task_setup_ms", "task_data_ms", "task_compute_ms", "task_result_ms",
          "overhead_ms"};
      System.out.println();
      System.out.println("Averaging rounds (medians over epochs 2..E; driver per round, worker per task, ms):");
      System.out.println();
      System.out.println("| run | rounds/epoch | " + String.join(" | ", keys) + " |");
      System.out.println("| --- | ---: |" + " ---: |".repeat(keys.length));
      for (JsonNode run : spark) {
        StringBuilder line = new StringBuilder("| " + run.get("label").asText() + " | "
            + run.get("epochs_detail").get(0).get("rounds").asInt() + " |");
        for (String key : keys) {
          line.append(String.format(Locale.ROOT, " %.1f |", median(run, key)));
        }
        System.out.println(line);
      }
    }
    JsonNode local = spark.stream().filter(r -> r.get("master").asText().startsWith("local")).findFirst()
        .orElse(null);
    if (local != null && floor != null && floor.has("step_ms_by_batch")) {
      costModel(local, floor);
    }
    System.out.println();
    System.out.println("Test −ELBO per epoch (nats):");
    System.out.println();
    System.out.println("| epoch | " + String.join(" | ", trained.stream().map(r -> r.get("label").asText()).toList())
        + " |");
    System.out.println("| ---: |" + " ---: |".repeat(trained.size()));
    int epochs = trained.stream().mapToInt(r -> r.get("epochs_detail").size()).max().orElse(0);
    for (int e = 0; e < epochs; e++) {
      StringBuilder line = new StringBuilder("| " + (e + 1) + " |");
      for (JsonNode run : trained) {
        JsonNode detail = run.get("epochs_detail");
        line.append(e < detail.size() ? String.format(Locale.ROOT, " %.2f |", detail.get(e).get("test_neg_elbo")
            .asDouble()) : " |");
      }
      System.out.println(line);
    }
  }

  /**
   * Predicted epoch time and speedup for {@link #MODEL_ROWS} rows on {@link #MODEL_EXECUTORS} executors (one task
   * slot each), from this run's measurements: the single-thread step time t(b) = a + c₀·b fitted over the floor
   * part's minibatch sizes (a: the per-step work that does not grow with the minibatch, mostly Adam's update of
   * every parameter), scaled by κ = the Spark workers' measured time per example over t(b)/b at the recipe's
   * minibatch (two workers sharing a machine); the fixed overhead of a round without a network O; the bytes of
   * parameters and updater state P; each epoch's setup per row; and the network: the broadcast costs 2P/B, the tree
   * aggregation (depth 2) 2·√W·P/B, and the driver {@link #TASK_MILLIS} ms per task. Speedup is over one worker
   * computing the same steps alone, so it does not depend on the load during the single-process run. Per executor
   * count: the recipe's minibatch and averaging frequency, then for each of {@link #MODEL_BATCHES} the recommended
   * averaging frequency, the smallest that keeps the overhead at most 10% of a round.
   */
  private static void costModel(JsonNode spark, JsonNode floor) {
    int batch = spark.get("batch").asInt();
    int workersMeasured = spark.get("workers").asInt();
    double workerMillis = median(spark, "task_compute_ms") / (batch * median(spark, "minibatches_per_task"));
    double[] fit = stepModel(floor.get("step_ms_by_batch"));
    double kappa = workerMillis / ((fit[0] + fit[1] * batch) / batch);
    double overheadMillis = median(spark, "overhead_ms");
    double rowsPerWorker = spark.get("epochs_detail").get(0).get("examples").asDouble() / workersMeasured;
    double setupMillisPerRow = median(spark, "epoch_setup_ms") / rowsPerWorker;
    double transferMillis = spark.get("state_bytes").asDouble() / NETWORK_BYTES_PER_SECOND * 1e3;
    System.out.println();
    System.out.printf(Locale.ROOT, "Cost model for %,d rows. Measured: one thread's step t(b) = %.2f ms + %.4f ms × b; "
        + "Spark workers κ = %.2f × that; round overhead O = %.1f ms at %d workers without a network; P = %.1f MB "
        + "each way; epoch setup %.4f ms per row per worker. Assumed: B = %.2f GB/s, %.1f ms per task at the "
        + "driver.%n%n", MODEL_ROWS, fit[0], fit[1], kappa, overheadMillis, workersMeasured,
        spark.get("state_bytes").asDouble() / 1e6, setupMillisPerRow, NETWORK_BYTES_PER_SECOND / 1e9, TASK_MILLIS);
    System.out.println("| executors | minibatch | averaging every | round overhead ms | round compute ms | rounds/epoch "
        + "| epoch | speedup | efficiency |");
    System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (int workers : MODEL_EXECUTORS) {
      double roundOverhead = overheadMillis + 2 * transferMillis + 2 * Math.sqrt(workers) * transferMillis
          + TASK_MILLIS * workers;
      List<int[]> settings = new ArrayList<>();
      settings.add(new int[] {batch, spark.get("averaging_frequency").asInt()});
      for (int b : MODEL_BATCHES) {
        settings.add(new int[] {b, (int) Math.ceil(9 * roundOverhead / (kappa * (fit[0] + fit[1] * b)))});
      }
      for (int[] setting : settings) {
        int b = setting[0];
        int f = setting[1];
        double stepMillis = kappa * (fit[0] + fit[1] * b);
        double rounds = MODEL_ROWS / ((double) workers * b * f);
        double epochMillis = rounds * (f * stepMillis + roundOverhead) + setupMillisPerRow * MODEL_ROWS / workers;
        double speedup = MODEL_ROWS / b * stepMillis / epochMillis;
        System.out.printf(Locale.ROOT, "| %d | %d | %d | %.0f | %.0f | %,.0f | %.2f h | %.1f× | %.0f%% |%n", workers,
            b, f, roundOverhead, f * stepMillis, rounds, epochMillis / 3.6e6, speedup, 100 * speedup / workers);
      }
    }
  }

  /** Least-squares a and c₀ of t(b) = a + c₀·b over the measured step times. */
  private static double[] stepModel(JsonNode stepMillis) {
    List<double[]> points = new ArrayList<>();
    stepMillis.fields().forEachRemaining(e -> points.add(new double[] {Double.parseDouble(e.getKey()),
        e.getValue().asDouble()}));
    double n = points.size();
    double sx = points.stream().mapToDouble(p -> p[0]).sum();
    double sy = points.stream().mapToDouble(p -> p[1]).sum();
    double sxx = points.stream().mapToDouble(p -> p[0] * p[0]).sum();
    double sxy = points.stream().mapToDouble(p -> p[0] * p[1]).sum();
    double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    return new double[] {(sy - slope * sx) / n, slope};
  }

  private static String firstField(JsonNode run, String key) {
    return run.has(key) ? run.get(key).asText().split(" ")[0] : "?";
  }

  /** The median over epochs 2..E (all epochs when there is only one) of an epoch field. */
  private static double median(JsonNode run, String key) {
    JsonNode detail = run.get("epochs_detail");
    double[] values = new double[Math.max(1, detail.size() - 1)];
    for (int i = 0; i < values.length; i++) {
      values[i] = detail.get(detail.size() == 1 ? 0 : i + 1).get(key).asDouble();
    }
    return EncodeComputeBenchmark.median(values);
  }

  private static double medianSeconds(JsonNode run) {
    return median(run, "seconds");
  }

  private static void setThreads(int threads) {
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
  }

  /** GFLOP/s of {@code work} doing {@code flops}: the best of 5 timed passes of enough calls for ~0.3 s. */
  private static double gflops(Runnable work, double flops) {
    for (int i = 0; i < 3; i++) {
      work.run();
    }
    long start = System.nanoTime();
    work.run();
    int calls = (int) Math.max(1, 0.3e9 / Math.max(1, System.nanoTime() - start));
    double[] rates = new double[5];
    for (int pass = 0; pass < rates.length; pass++) {
      long t = System.nanoTime();
      for (int i = 0; i < calls; i++) {
        work.run();
      }
      rates[pass] = flops * calls / ((System.nanoTime() - t) / 1e9) / 1e9;
    }
    return Arrays.stream(rates).max().orElseThrow();
  }
}
