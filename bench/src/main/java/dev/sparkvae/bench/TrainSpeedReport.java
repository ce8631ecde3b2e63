package dev.sparkvae.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.io.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The {@code report} part of {@link TrainSpeedBenchmark}: Markdown tables over the JSON files the other parts wrote,
 * examples/s and test −ELBO against the single thread, the averaging-round breakdown of the Spark runs, and a cost
 * model of larger clusters from those measurements.
 */
final class TrainSpeedReport {
  /** Rows of the cost model's data set. */
  private static final long MODEL_ROWS = 100_000_000L;
  /** The cost model's network bandwidth per executor and at the driver: 10 Gbit/s. */
  private static final double NETWORK_BYTES_PER_SECOND = 1.25e9;
  /** The cost model's driver time per task and round: launching it and handling its result. */
  private static final double TASK_MILLIS = 1.0;
  /** The cost model's executor counts and minibatch sizes. */
  private static final int[] MODEL_EXECUTORS = {8, 32, 128};
  private static final int[] MODEL_BATCHES = {64, 256};

  private TrainSpeedReport() {}

  /** Prints Markdown tables over the JSON files of the {@code work} directory. */
  static void print(Path work) throws IOException {
    List<JsonNode> runs = new ArrayList<>();
    try (Stream<Path> files = Files.list(work)) {
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
          + "(%,.0f at the step's GEMM rate).%n%n", floor.get("flops_per_example").asDouble() / 1e6,
          TrainSpeedBenchmark.SGEMM_SIZE,
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
}
