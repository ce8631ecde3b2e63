package dev.sparkvae.bench;

import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.data.IdxFile;
import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.inference.OnnxRuntimeScorer;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Scoring (the reconstruct job's work), compute only: rows/s and GFLOP/s of reconstruction error, log_prob with K
 * importance samples and negative ELBO for the 784-256-256→16 VAE of {@link EncodeComputeBenchmark} (seeded
 * weights, decoder 16-256-256-784, Bernoulli) on the 60,000 Fashion-MNIST train images, in one process, same weights
 * and threads: {@link Nd4jScorer} and {@link OnnxRuntimeScorer}, with the max abs diff of their log_prob. Beside
 * them, the floor: FLOPs per row (one encoder pass, K + 1 decoder passes) over ONNX Runtime's sgemm rate, measured
 * in the same run.
 *
 * <p>Usage: {@code ScoreComputeBenchmark [--samples K] [--images FILE] [--threads N] [--batches 64,256]
 * [--repeats N] [--sgemm N]}; defaults: K = 16 (reconstruct's default), batches 64 and 256, others as
 * {@link EncodeComputeBenchmark}. Every figure is the median of the repeats after a checked pass; the scorers take
 * turns within each repeat, in an order reversed every other repeat. Prints markdown.
 */
public final class ScoreComputeBenchmark {
  private ScoreComputeBenchmark() {}

  public static void main(String[] args) throws Exception {
    List<String> rest = new ArrayList<>(Arrays.asList(args));
    int samples = 16;
    int at = rest.indexOf("--samples");
    if (at >= 0 && at + 1 < rest.size()) {
      samples = Integer.parseInt(rest.remove(at + 1));
      rest.remove(at);
    }
    if (!rest.contains("--batches")) {
      rest.addAll(List.of("--batches", "64,256"));
    }
    EncodeComputeBenchmark.Options options = EncodeComputeBenchmark.Options.parse(rest.toArray(new String[0]));
    int threads = options.threads();
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
    System.out.printf(Locale.ROOT, "cpu: %s; threads per scorer: %d; load average at start: %s%n",
        EncodeComputeBenchmark.cpu(), threads, EncodeComputeBenchmark.loadAverage());

    float[][] images = IdxFile.readImages(options.images(), Integer.MAX_VALUE);
    int features = images[0].length;
    MultiLayerNetwork net = VaeNetworks.create(EncodeComputeBenchmark.SPEC,
        TrainSettings.from(Settings.load(null, null, List.of("train.seed=" + EncodeComputeBenchmark.SEED))), features);
    long flopsPerRow = 2 * (EncodeComputeBenchmark.SPEC.encoderMultiplyAdds(features)
        + (samples + 1L) * EncodeComputeBenchmark.SPEC.decoderMultiplyAdds(features));
    System.out.printf(Locale.ROOT, "model: %s; %d rows; K = %d samples; GEMM FLOPs per row: %,d%n",
        EncodeComputeBenchmark.SPEC, images.length, samples, flopsPerRow);
    long seed = 7;
    List<BatchScorer> scorers = List.of(new Nd4jScorer(VaeMaths.of(net), samples, false, seed),
        new OnnxRuntimeScorer(net, samples, false, seed, threads));
    List<String> names = List.of("ours: Nd4jScorer", "ours: OnnxRuntimeScorer");

    Sgemm sgemm = Sgemm.onnxRuntime(options.sgemmSize(), threads, false);
    double[] sgemmRates = new double[options.repeats()];
    sgemm.multiply().run();
    for (int r = 0; r < options.repeats(); r++) {
      double n = options.sgemmSize();
      sgemmRates[r] = 2 * n * n * n / EncodeComputeBenchmark.seconds(sgemm.multiply()) / 1e9;
    }
    sgemm.close().run();
    double sgemmRate = EncodeComputeBenchmark.median(sgemmRates);

    System.out.printf("%n| scorer | batch | rows/s (median) | GFLOP/s | share of the sgemm floor | "
        + "max abs diff of log_prob vs ND4J |%n| --- | --- | --- | --- | --- | --- |%n");
    for (int batch : options.batchSizes()) {
      Batches batches = Batches.of(images, batch);
      long[][] ids = ids(batches);
      float[][] reference = logProbs(scorers.get(0), batches, ids);
      double[][] rates = new double[scorers.size()][options.repeats()];
      double[] diffs = new double[scorers.size()];
      for (int s = 0; s < scorers.size(); s++) {
        diffs[s] = maxAbsDiff(logProbs(scorers.get(s), batches, ids), reference);
      }
      for (int r = 0; r < options.repeats(); r++) {
        for (int turn = 0; turn < scorers.size(); turn++) {
          int s = r % 2 == 0 ? turn : scorers.size() - 1 - turn;
          BatchScorer scorer = scorers.get(s);
          rates[s][r] = images.length / EncodeComputeBenchmark.seconds(() -> logProbs(scorer, batches, ids));
        }
      }
      for (int s = 0; s < scorers.size(); s++) {
        double rowsPerSecond = EncodeComputeBenchmark.median(rates[s]);
        double gflops = rowsPerSecond * flopsPerRow / 1e9;
        System.out.printf(Locale.ROOT, "| %s | %d | %,.0f | %.1f | %.0f%% | %.2g |%n", names.get(s), batch,
            rowsPerSecond, gflops, 100 * gflops / sgemmRate, diffs[s]);
      }
    }
    System.out.printf(Locale.ROOT, "%nfloor: ONNX Runtime sgemm %d×%d at %.1f GFLOP/s (median) → %,.0f rows/s; "
        + "load average at end: %s%n", options.sgemmSize(), options.sgemmSize(), sgemmRate,
        sgemmRate * 1e9 / flopsPerRow, EncodeComputeBenchmark.loadAverage());
    ((OnnxRuntimeScorer) scorers.get(1)).close();
  }

  private static long[][] ids(Batches batches) {
    long[][] ids = new long[batches.size()][];
    long next = 0;
    for (int b = 0; b < batches.size(); b++) {
      ids[b] = new long[batches.counts()[b]];
      for (int r = 0; r < ids[b].length; r++) {
        ids[b][r] = next++;
      }
    }
    return ids;
  }

  private static float[][] logProbs(BatchScorer scorer, Batches batches, long[][] ids) {
    float[][] logProbs = new float[batches.size()][];
    for (int b = 0; b < batches.size(); b++) {
      logProbs[b] = scorer.score(batches.rows()[b], batches.counts()[b], ids[b]).logProb();
    }
    return logProbs;
  }

  private static double maxAbsDiff(float[][] a, float[][] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return max;
  }
}
