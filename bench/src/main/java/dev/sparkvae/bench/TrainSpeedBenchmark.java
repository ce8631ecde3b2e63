package dev.sparkvae.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.cluster.ClusterProfile;
import dev.sparkvae.cluster.CpuNatives;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.IdxFile;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.jobs.TrainJob;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.runtime.ContainerMemoryKills;
import dev.sparkvae.runtime.SparkSessions;
import dev.sparkvae.training.RoundTimings;
import dev.sparkvae.training.VaePretrainingStep;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training speed and quality, single process against Spark. One part per JVM (bench/train-speed.sh runs
 * them in turn), each writing a JSON file into the work directory; {@code report} prints the tables
 * ({@link TrainSpeedReport}).
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
  /** The side of the square sgemm the floor part times. */
  static final int SGEMM_SIZE = 1024;
  /** Minibatch sizes whose single-thread step time the floor part measures (the cost model fits them). */
  private static final int[] STEP_BATCHES = {32, 64, 128, 256, 512};
  private static final int STEP_REPEATS = 25;
  /** Steps run before any is timed, so that the JIT has compiled DL4J's code. */
  private static final int STEP_WARM_UP = 100;

  private final Map<String, List<String>> options;
  private final String loadAtStart = EncodeComputeBenchmark.loadAverage();

  private TrainSpeedBenchmark(Map<String, List<String>> options) {
    this.options = options;
  }

  public static void main(String[] args) throws Exception {
    CpuNatives.chooseForThisProcess();
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
      case "report" -> TrainSpeedReport.print(Path.of(benchmark.option("--work")));
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

  /** The part's settings as {@code workers} workers train with them (see {@link TrainSettings#forWorkers}). */
  private ObjectNode header(String part, Settings settings, int workers) {
    TrainSettings train = TrainSettings.from(settings).forWorkers(workers);
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
    ObjectNode json = header("floor", settings, 1);
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
    ObjectNode json = header("local", settings, 1);
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
    int workers;
    try (SparkSession spark = SparkSessions.create(settings, "spark-vae train speed benchmark",
        new ContainerMemoryKills(ClusterProfile.from(settings)))) {
      master = spark.sparkContext().master();
      workers = train.workersOr(spark.sparkContext().defaultParallelism());
      result = new TrainJob(spark, settings, new TrainJob.Options().input(option("--input")).test(option("--test"))
          .model(option("--work") + "/model-" + option("--label").replaceAll("[^A-Za-z0-9]+", "-")).overwrite(true))
          .run();
    }
    ObjectNode json = header("spark", settings, workers);
    json.put("master", master);
    json.put("workers", workers);
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

  static void setThreads(int threads) {
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
  }

  /** GFLOP/s of {@code work} doing {@code flops}: the best of 5 timed passes of enough calls for ~0.3 s. */
  static double gflops(Runnable work, double flops) {
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
