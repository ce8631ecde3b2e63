package dev.sparkvae.bench;

import ai.djl.engine.Engine;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.IdxFile;
import dev.sparkvae.inference.Nd4jEncoderEngine;
import dev.sparkvae.inference.OnnxRuntimeEncoderEngine;
import dev.sparkvae.model.EncoderOnnx;
import dev.sparkvae.model.VaeLayers;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Encode, compute only: rows/s and GFLOP/s of the 784-256-256→16 VAE encoder (seeded weights) on the 60,000
 * Fashion-MNIST train images, in one process, same weights and thread count everywhere: DL4J's VAE layer
 * ({@code net.output}), our {@link Nd4jEncoderEngine} and {@link OnnxRuntimeEncoderEngine} (float arrays in and
 * out, as in production), ONNX Runtime used directly on the same model (input tensors made once, untimed), and
 * libtorch through DJL. Also the machine limit in the same run: sgemm n×n through ND4J, ONNX Runtime and libtorch.
 *
 * <p>Every figure is the median of {@code --repeats} timed passes over all rows after a checked pass (the
 * warm-up); runtimes take turns within each repeat, in an order reversed every other repeat (our ONNX Runtime
 * engine and raw ONNX Runtime side by side) and each after a 250 ms pause, so that noise from other processes falls
 * on all of them and no runtime pays for the spinning threads of the one before. The ours-ORT / raw-ORT ratio is
 * the median of the ratios within each repeat, which a change of load between repeats does not skew. Max abs diff
 * is against our ND4J engine's output (DL4J's layer gives the mean half only). Prints markdown.
 *
 * <p>Usage: {@code EncodeComputeBenchmark [--images FILE] [--threads N] [--batches 256,1024,4096] [--repeats N]
 * [--sgemm N]}; defaults: the Debian dataset-fashion-mnist train images, 2 threads, those batches, 5 repeats,
 * n = 4096. Run it through bench/encode-compute.sh, which sets OMP_WAIT_POLICY=passive and the Java 17 opens.
 */
public final class EncodeComputeBenchmark {
  static final Path DEFAULT_IMAGES = Path.of("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz");
  static final VaeSpec SPEC = new VaeSpec(new int[] {256, 256}, new int[] {256, 256}, 16, "relu", VaeSpec.BERNOULLI);
  static final long SEED = 42;
  static final long SETTLE_MILLIS = 250;
  static final String OURS_ORT = "ours: OnnxRuntimeEncoderEngine";
  static final String RAW_ORT = "ONNX Runtime session.run, raw";
  static final String SPIN_OFF = " (spin off)";
  static final String SPIN_ON = " (spin on)";

  /** Parsed command line. */
  record Options(Path images, int threads, int[] batchSizes, int repeats, int sgemmSize) {
    static Options parse(String[] args) {
      Path images = DEFAULT_IMAGES;
      int threads = 2;
      int[] batches = {256, 1024, 4096};
      int repeats = 5;
      int sgemm = 4096;
      for (int i = 0; i < args.length; i += 2) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("Missing value after " + args[i]);
        }
        String option = args[i];
        String value = args[i + 1];
        switch (option) {
          case "--images" -> images = Path.of(value);
          case "--threads" -> threads = positive(option, value);
          case "--batches" -> batches = Arrays.stream(value.split(",")).mapToInt(v -> positive(option, v)).toArray();
          case "--repeats" -> repeats = positive(option, value);
          case "--sgemm" -> sgemm = positive(option, value);
          default -> throw new IllegalArgumentException("Unknown option " + option);
        }
      }
      return new Options(images, threads, batches, repeats, sgemm);
    }

    private static int positive(String option, String value) {
      try {
        int parsed = Integer.parseInt(value.trim());
        if (parsed > 0) {
          return parsed;
        }
      } catch (NumberFormatException e) {
        // falls through to the message below
      }
      throw new IllegalArgumentException("Cannot set " + option + " to " + value
          + ": the value must be a positive integer");
    }
  }

  /** The timings of one runtime at one batch size. */
  record Measure(String runtime, int batch, double[] rowsPerSecond, double maxAbsDiff) {}

  private final Options options;
  private final PrintStream out;

  EncodeComputeBenchmark(Options options, PrintStream out) {
    this.options = options;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("EncodeComputeBenchmark: " + e.getMessage());
      System.err.println("usage: EncodeComputeBenchmark [--images FILE] [--threads N] [--batches 256,1024,4096] "
          + "[--repeats N] [--sgemm N]");
      System.exit(2);
      return;
    }
    new EncodeComputeBenchmark(options, System.out).run();
  }

  void run() throws Exception {
    long start = System.nanoTime();
    int threads = options.threads();
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
    out.printf(Locale.ROOT, "cpu: %s, %d cores; threads per runtime: %d (ND4J max threads now %d); "
        + "OMP_NUM_THREADS=%s OMP_WAIT_POLICY=%s; load average at start: %s%n", cpu(),
        Runtime.getRuntime().availableProcessors(), threads, Nd4j.getEnvironment().maxThreads(),
        System.getenv("OMP_NUM_THREADS"), System.getenv("OMP_WAIT_POLICY"), loadAverage());

    float[][] images = IdxFile.readImages(options.images(), Integer.MAX_VALUE);
    int features = images[0].length;
    MultiLayerNetwork net = VaeNetworks.create(SPEC,
        TrainSettings.from(Settings.load(null, null, List.of("train.seed=" + SEED))), features);
    long flopsPerRow = 2 * SPEC.encoderMultiplyAdds(features);
    out.printf(Locale.ROOT, "model: %d-%s->%d (%s), seed %d; data: %d rows of %s; FLOPs per row: %,d%n", features,
        Arrays.toString(SPEC.encoderSizes()), SPEC.latentSize(), SPEC.activation(), SEED, images.length,
        options.images(), flopsPerRow);

    Engine torch = TorchContender.engine(threads);
    byte[] onnx = EncoderOnnx.export(net);
    int joint = 2 * SPEC.latentSize();
    Contender reference = new EngineContender("ours: Nd4jEncoderEngine", new Nd4jEncoderEngine(VaeMaths.of(net)));
    List<Contender> contenders = List.of(
        new Dl4jOutputContender(net, SPEC.latentSize()),
        reference,
        new EngineContender(OURS_ORT + SPIN_OFF, new OnnxRuntimeEncoderEngine(onnx, threads, false)),
        new RawOrtContender(RAW_ORT + SPIN_OFF, onnx, threads, false, joint),
        new EngineContender(OURS_ORT + SPIN_ON, new OnnxRuntimeEncoderEngine(onnx, threads, true)),
        new RawOrtContender(RAW_ORT + SPIN_ON, onnx, threads, true, joint),
        new TorchContender(torch, VaeLayers.encoder(net)));

    List<Measure> measures = new ArrayList<>();
    for (int batch : options.batchSizes()) {
      measures.addAll(encode(contenders, reference, Batches.of(images, batch)));
    }
    List<Sgemm> sgemms = List.of(Sgemm.nd4j(options.sgemmSize()),
        Sgemm.onnxRuntime(options.sgemmSize(), threads, false),
        Sgemm.torch(torch, options.sgemmSize()));
    double[][] sgemmRates = sgemm(sgemms);

    printEncode(measures, flopsPerRow);
    printSgemm(sgemms, sgemmRates, flopsPerRow, measures);
    out.printf(Locale.ROOT, "%nload average at end: %s; whole run %.0f s%n", loadAverage(),
        (System.nanoTime() - start) / 1e9);
    contenders.forEach(Contender::close);
    sgemms.forEach(sgemm -> sgemm.close().run());
  }

  /** A checked pass against {@code reference} (the warm-up), then repeats taken in turns. */
  private List<Measure> encode(List<Contender> contenders, Contender reference, Batches batches) {
    int rows = batches.totalRows();
    contenders.forEach(contender -> contender.prepare(batches));
    float[] expected = output(reference, rows);
    double[] diffs = new double[contenders.size()];
    for (int c = 0; c < contenders.size(); c++) {
      Contender contender = contenders.get(c);
      diffs[c] = contender == reference ? 0
          : maxAbsDiff(output(contender, rows), contender.outputWidth(), expected, reference.outputWidth());
    }
    double[][] rates = new double[contenders.size()][options.repeats()];
    for (int r = 0; r < options.repeats(); r++) {
      for (int turn = 0; turn < contenders.size(); turn++) {
        int c = r % 2 == 0 ? turn : contenders.size() - 1 - turn;
        Contender contender = contenders.get(c);
        rates[c][r] = rows / seconds(() -> contender.encodeAll(null));
      }
    }
    List<Measure> measures = new ArrayList<>();
    for (int c = 0; c < contenders.size(); c++) {
      measures.add(new Measure(contenders.get(c).name(), batches.counts()[0], rates[c], diffs[c]));
    }
    return measures;
  }

  private static float[] output(Contender contender, int rows) {
    float[] output = new float[rows * contender.outputWidth()];
    contender.encodeAll(output);
    return output;
  }

  private double[][] sgemm(List<Sgemm> sgemms) {
    double flops = 2.0 * Math.pow(options.sgemmSize(), 3);
    sgemms.forEach(sgemm -> sgemm.multiply().run());
    double[][] rates = new double[sgemms.size()][options.repeats()];
    for (int r = 0; r < options.repeats(); r++) {
      for (int turn = 0; turn < sgemms.size(); turn++) {
        int s = r % 2 == 0 ? turn : sgemms.size() - 1 - turn;
        Sgemm sgemm = sgemms.get(s);
        rates[s][r] = flops / seconds(sgemm.multiply()) / 1e9;
      }
    }
    return rates;
  }

  private void printEncode(List<Measure> measures, long flopsPerRow) {
    out.printf("%n### Encode, compute only (median of %d passes over all rows)%n%n", options.repeats());
    out.println("| runtime | batch | rows/s | min–max rows/s | GFLOP/s | max abs diff vs ours-ND4J |");
    out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (Measure m : measures) {
      double median = median(m.rowsPerSecond());
      out.printf(Locale.ROOT, "| %s | %d | %,.0f | %,.0f–%,.0f | %.1f | %.2e |%n", m.runtime(), m.batch(), median,
          Arrays.stream(m.rowsPerSecond()).min().orElseThrow(), Arrays.stream(m.rowsPerSecond()).max().orElseThrow(),
          median * flopsPerRow / 1e9, m.maxAbsDiff());
    }
  }

  private void printSgemm(List<Sgemm> sgemms, double[][] rates, long flopsPerRow, List<Measure> measures) {
    int n = options.sgemmSize();
    out.printf("%n### Machine limit: sgemm %d×%d×%d (median of %d)%n%n", n, n, n, options.repeats());
    out.println("| runtime | GFLOP/s | min–max | rows/s limit at this rate |");
    out.println("| --- | ---: | ---: | ---: |");
    double best = 0;
    for (int s = 0; s < sgemms.size(); s++) {
      double median = median(rates[s]);
      best = Math.max(best, median);
      out.printf(Locale.ROOT, "| %s | %.1f | %.1f–%.1f | %,.0f |%n", sgemms.get(s).name(), median,
          Arrays.stream(rates[s]).min().orElseThrow(), Arrays.stream(rates[s]).max().orElseThrow(),
          median * 1e9 / flopsPerRow);
    }
    out.printf(Locale.ROOT, "%nfloor: %,d FLOPs per row / %.1f GFLOP/s (best sgemm) = %,.0f rows/s%n", flopsPerRow,
        best, best * 1e9 / flopsPerRow);
    out.println();
    double floor = best * 1e9 / flopsPerRow;
    out.println("| batch | ours-ORT / raw-ORT, spin off (default) | same, spin on | ours-ORT default, % of floor |");
    out.println("| ---: | ---: | ---: | ---: |");
    for (int batch : options.batchSizes()) {
      out.printf(Locale.ROOT, "| %d | %s | %s | %.1f%% |%n", batch,
          pairedRatio(measure(measures, batch, OURS_ORT + SPIN_OFF), measure(measures, batch, RAW_ORT + SPIN_OFF)),
          pairedRatio(measure(measures, batch, OURS_ORT + SPIN_ON), measure(measures, batch, RAW_ORT + SPIN_ON)),
          100 * median(measure(measures, batch, OURS_ORT + SPIN_OFF).rowsPerSecond()) / floor);
    }
  }

  private static Measure measure(List<Measure> measures, int batch, String runtime) {
    return measures.stream().filter(m -> m.batch() == batch && m.runtime().equals(runtime)).findFirst()
        .orElseThrow();
  }

  /** Median (min–max) of a / b over the repeats, each ratio from one repeat. */
  private static String pairedRatio(Measure a, Measure b) {
    double[] ratios = new double[a.rowsPerSecond().length];
    for (int r = 0; r < ratios.length; r++) {
      ratios[r] = 100 * a.rowsPerSecond()[r] / b.rowsPerSecond()[r];
    }
    return String.format(Locale.ROOT, "%.1f%% (%.0f–%.0f%%)", median(ratios), Arrays.stream(ratios).min()
        .orElseThrow(), Arrays.stream(ratios).max().orElseThrow());
  }

  static double maxAbsDiff(float[] output, int width, float[] expected, int expectedWidth) {
    double max = 0;
    int rows = output.length / width;
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < width; c++) {
        max = Math.max(max, Math.abs(output[r * width + c] - expected[r * expectedWidth + c]));
      }
    }
    return max;
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  /**
   * The time of {@code work}, after a pause that lets the thread pools of the previous runtime go to sleep:
   * OpenBLAS's and spin-waiting ONNX Runtime pools otherwise burn a core into the next runtime's time.
   */
  static double seconds(Runnable work) {
    try {
      Thread.sleep(SETTLE_MILLIS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Interrupted", e);
    }
    long start = System.nanoTime();
    work.run();
    return (System.nanoTime() - start) / 1e9;
  }

  /** Model name and widest vector extension, from /proc/cpuinfo. */
  static String cpu() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
      String model = lines.stream().filter(l -> l.startsWith("model name")).findFirst().orElse(":unknown");
      String flags = lines.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
      String vector = flags.contains(" avx512f") ? "AVX-512" : flags.contains(" avx2") ? "AVX2" : "no AVX2";
      return model.substring(model.indexOf(':') + 1).trim() + " (" + vector + ")";
    } catch (IOException e) {
      return "unknown";
    }
  }

  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
