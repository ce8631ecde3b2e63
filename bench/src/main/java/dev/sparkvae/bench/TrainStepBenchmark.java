package dev.sparkvae.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import dev.sparkvae.cluster.BlasKernel;
import dev.sparkvae.cluster.CpuNatives;
import dev.sparkvae.cluster.NativeBuild;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.training.VaePretrainingStep;
import java.io.File;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner.ProfilingMode;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.profiler.OpProfiler;

/**
 * One training step of the recipe's VAE on one thread, ours ({@link VaePretrainingStep} on DL4J/ND4J) beside the
 * same step in libtorch ({@link TorchVaeStep}), at several minibatch sizes, in one JVM, interleaved in rounds so
 * that a noisy machine slows both alike. For each size: the median step of each, their ratio, the FLOP floor
 * (the step's FLOPs at ND4J's single-thread sgemm rate), and where each one's time goes: its matrix products alone
 * (the same GEMMs on the same shapes, each through its own library), its Adam update alone (on the step's
 * gradients), the rest (activations, losses, their gradients, copies), with the ND4J ops ours runs besides Adam
 * (ND4J's op profiler).
 *
 * <p>Usage: {@code TrainStepBenchmark --recipe FILE [--batches 32,64,128,256] [--repeats N] [--rounds N]}.
 */
public final class TrainStepBenchmark {
  private static final int FEATURES = 784;
  private static final int WARM_UP = 30;

  private TrainStepBenchmark() {}

  public static void main(String[] args) throws Exception {
    String recipe = "conf/jobs/fmnist-benchmark.conf";
    int[] batches = {32, 64, 128, 256};
    int repeats = 20;
    int rounds = 5;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--recipe" -> recipe = args[i + 1];
        case "--batches" -> batches = Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
        case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
        case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
        default -> throw new IllegalArgumentException("Unknown option " + args[i]);
      }
    }
    CpuNatives.chooseForThisProcess();
    Settings settings = Settings.load(null, new File(recipe), List.of());
    VaeSpec spec = VaeSpec.from(settings);
    TrainSettings train = TrainSettings.from(settings);
    TrainSpeedBenchmark.setThreads(1);
    Engine torch = TorchContender.engine(1);
    Sgemm sgemm = Sgemm.nd4j(1024);
    double sgemmGflops = TrainSpeedBenchmark.gflops(sgemm.multiply(), 2.0 * 1024 * 1024 * 1024);
    sgemm.close().run();
    double flopsPerExample = 2.0 * spec.trainingMultiplyAdds(FEATURES);
    System.out.printf("recipe %s, one thread, libtorch %s, ND4J build %s, OpenBLAS kernel %s, ND4J sgemm %.1f "
        + "GFLOP/s, %.2f MFLOP per example%n", recipe, torch.getVersion(), NativeBuild.running().orElse("?"),
        String.join("/", BlasKernel.running()), sgemmGflops, flopsPerExample / 1e6);
    System.out.println("| rows | ours ms | libtorch ms | ratio | floor ms | GEMMs alone ms, ours / libtorch "
        + "| Adam alone ms, ours / libtorch | the rest ms, ours / libtorch | other ND4J ops | the rest µs/op |");
    System.out.println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (int batch : batches) {
      float[] rows = rows(batch);
      MultiLayerNetwork net = VaeNetworks.create(spec, train, FEATURES);
      INDArray x = Nd4j.create(rows, new long[] {batch, FEATURES}, 'c');
      try (TorchVaeStep peer = new TorchVaeStep(torch, FEATURES, spec.encoderSizes(), spec.latentSize(),
          spec.decoderSizes(), (float) train.learningRate())) {
        NDArray torchX = peer.batch(rows, batch, FEATURES);
        List<Double> ours = new ArrayList<>();
        List<Double> theirs = new ArrayList<>();
        time(() -> VaePretrainingStep.fit(net, x, 1), WARM_UP, null);
        time(() -> peer.step(torchX), WARM_UP, null);
        for (int round = 0; round < rounds; round++) {
          long seed = round * (long) repeats;
          time(() -> VaePretrainingStep.fit(net, x, seed), repeats, ours);
          time(() -> peer.step(torchX), repeats, theirs);
        }
        double oursMs = median(ours);
        double theirsMs = median(theirs);
        List<int[]> shapes = products(spec, batch);
        double gemmMs = nd4jGemmMillis(shapes);
        double adamMs = nd4jUpdaterMillis(net);
        double theirGemmMs = peer.gemmMillis(shapes);
        double theirAdamMs = medianMillis(peer::update);
        double ops = opsPerStep(net, x);
        double restMs = oursMs - gemmMs - adamMs;
        System.out.printf("| %d | %.2f | %.2f | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.0f "
            + "| %.1f |%n", batch, oursMs, theirsMs, oursMs / theirsMs,
            flopsPerExample * batch / (sgemmGflops * 1e9) * 1e3, gemmMs, theirGemmMs, adamMs, theirAdamMs, restMs,
            theirsMs - theirGemmMs - theirAdamMs, ops - updaterOps(net), restMs * 1e3 / (ops - updaterOps(net)));
      }
    }
  }

  private static float[] rows(int batch) {
    Random random = new Random(batch);
    float[] rows = new float[batch * FEATURES];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = random.nextFloat();
    }
    return rows;
  }

  private static void time(Runnable step, int times, List<Double> millis) {
    for (int i = 0; i < times; i++) {
      long start = System.nanoTime();
      step.run();
      if (millis != null) {
        millis.add((System.nanoTime() - start) / 1e6);
      }
    }
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return sorted[sorted.length / 2];
  }

  /**
   * The step's matrix products, as {m, k, n, transpose a, transpose b} of a (m × k) · b (k × n): per dense layer
   * (encoder, both latent heads, decoder, output) the forward product and the weight gradient, and the input
   * gradient of every layer but the first.
   */
  private static List<int[]> products(VaeSpec spec, int batch) {
    List<int[]> layers = new ArrayList<>();
    int width = FEATURES;
    for (int size : spec.encoderSizes()) {
      layers.add(new int[] {width, size, 1});
      width = size;
    }
    layers.add(new int[] {width, spec.latentSize(), 0});
    layers.add(new int[] {width, spec.latentSize(), 0});
    width = spec.latentSize();
    for (int size : spec.decoderSizes()) {
      layers.add(new int[] {width, size, 0});
      width = size;
    }
    layers.add(new int[] {width, FEATURES, 0});
    List<int[]> products = new ArrayList<>();
    for (int[] layer : layers) {
      products.add(new int[] {batch, layer[0], layer[1], 0, 0});
      products.add(new int[] {layer[0], batch, layer[1], 1, 0});
      if (layer[2] == 0) {
        products.add(new int[] {batch, layer[1], layer[0], 0, 1});
      }
    }
    return products;
  }

  /** The step's matrix products alone through ND4J's BLAS, median milliseconds. */
  private static double nd4jGemmMillis(List<int[]> shapes) {
    List<Runnable> products = new ArrayList<>();
    for (int[] p : shapes) {
      INDArray a = p[3] == 1 ? Nd4j.rand(p[1], p[0]) : Nd4j.rand(p[0], p[1]);
      INDArray b = p[4] == 1 ? Nd4j.rand(p[2], p[1]) : Nd4j.rand(p[1], p[2]);
      products.add(() -> Nd4j.gemm(a, b, p[3] == 1, p[4] == 1));
    }
    return medianMillis(() -> products.forEach(Runnable::run));
  }

  /** Our updater alone (Adam over every parameter, as a step applies it), median milliseconds. */
  private static double nd4jUpdaterMillis(MultiLayerNetwork net) {
    MultiLayerUpdater updater = (MultiLayerUpdater) net.getUpdater();
    int[] iteration = {net.getIterationCount()};
    return medianMillis(() -> {
      for (UpdaterBlock block : updater.getUpdaterBlocks()) {
        block.update(iteration[0]++, 0);
      }
    });
  }

  static double medianMillis(Runnable work) {
    List<Double> millis = new ArrayList<>();
    time(work, WARM_UP, null);
    time(work, 100, millis);
    return median(millis);
  }

  /** The updater's ND4J operations per step: one fused Adam op per updater block. */
  private static int updaterOps(MultiLayerNetwork net) {
    return ((MultiLayerUpdater) net.getUpdater()).getUpdaterBlocks().size();
  }

  /** ND4J operations one step runs, counted by ND4J's op profiler (its counting mode has no newer switch). */
  @SuppressWarnings("deprecation")
  private static double opsPerStep(MultiLayerNetwork net, INDArray x) {
    int steps = 20;
    OpProfiler.getInstance().reset();
    Nd4j.getExecutioner().setProfilingMode(ProfilingMode.OPERATIONS);
    try {
      time(() -> VaePretrainingStep.fit(net, x, 3), steps, null);
      return OpProfiler.getInstance().getInvocationsCount() / (double) steps;
    } finally {
      Nd4j.getExecutioner().setProfilingMode(ProfilingMode.DISABLED);
    }
  }
}
