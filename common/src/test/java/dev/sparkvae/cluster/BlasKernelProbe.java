package dev.sparkvae.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleUnaryOperator;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Run in a fresh JVM by {@link #run}: with {@code choose}, lets {@link CpuNatives} choose ND4J's build and the
 * kernel for this CPU, with {@code choose KERNEL}, has {@link BlasKernel} set that kernel, then checks ND4J's matrix
 * products and element-wise functions against plain Java and prints {@code kernel=K build=B error=E}, E the largest
 * relative error: |ND4J - reference| over Σ|a||b| of a product's entry (single and double precision), or over
 * max(1, |reference|) of a function's value (single precision).
 */
public final class BlasKernelProbe {
  private BlasKernelProbe() {}

  /** What a probe printed: the OpenBLAS kernel, ND4J's build and the largest relative error. */
  record Result(String kernel, String build, double error) {}

  /** Runs the probe in a fresh JVM with {@code jvmOptions}, {@code env} added to a clean environment, and args. */
  static Result run(List<String> jvmOptions, Map<String, String> env, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(
        new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx512m"));
    ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(arg -> arg.startsWith("--add-opens")).forEach(command::add);
    command.addAll(jvmOptions);
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), BlasKernelProbe.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove(BlasKernel.VARIABLE);
    builder.environment().putAll(env);
    builder.environment().put("OMP_NUM_THREADS", "1");
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
    String line = output.lines().filter(l -> l.startsWith("kernel=")).reduce((a, b) -> b).orElseThrow(
        () -> new AssertionError("no result from the probe:\n" + output));
    String[] parts = line.split(" ");
    return new Result(parts[0].substring("kernel=".length()), parts[1].substring("build=".length()),
        Double.parseDouble(parts[2].substring("error=".length())));
  }

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("choose")) {
      CpuNatives.chooseForThisProcess();
    } else if (args.length == 2 && args[0].equals("choose")) {
      BlasKernel.choose(args[1], "as the test asks");
    }
    double worst = 0;
    int[][] shapes = {{37, 53, 29}, {1, 64, 1}, {130, 7, 260}, {64, 784, 400}, {256, 400, 40}};
    Random random = new Random(7);
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      for (int[] shape : shapes) {
        for (boolean transposeA : new boolean[] {false, true}) {
          worst = Math.max(worst, error(random, type, shape[0], shape[1], shape[2], transposeA));
        }
      }
    }
    worst = Math.max(worst, error(random, Transforms::exp, Math::exp));
    worst = Math.max(worst, error(random, Transforms::sigmoid, x -> 1 / (1 + Math.exp(-x))));
    worst = Math.max(worst, error(random, Transforms::tanh, Math::tanh));
    worst = Math.max(worst, error(random, Transforms::softPlus, x -> Math.log1p(Math.exp(x))));
    worst = Math.max(worst, error(random, a -> Transforms.relu(a, true), x -> Math.max(0, x)));
    System.out.println("kernel=" + String.join("/", BlasKernel.running()) + " build="
        + NativeBuild.running().orElse("none") + " error=" + worst);
  }

  /** An element-wise function on 10,000 single-precision values against its double-precision reference. */
  private static double error(Random random, UnaryOperator<INDArray> function,
      DoubleUnaryOperator reference) {
    float[] values = new float[10_000];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) (4 * random.nextGaussian());
    }
    float[] out = function.apply(Nd4j.create(values)).toFloatVector();
    double worst = 0;
    for (int i = 0; i < values.length; i++) {
      double expected = reference.applyAsDouble(values[i]);
      worst = Math.max(worst, Math.abs(out[i] - expected) / Math.max(1, Math.abs(expected)));
    }
    return worst;
  }

  private static double error(Random random, DataType type, int m, int k, int n, boolean transposeA) {
    double[][] a = gaussian(random, m, k);
    double[][] b = gaussian(random, k, n);
    INDArray left = Nd4j.create(transposeA ? transpose(a) : a).castTo(type);
    INDArray product = Nd4j.gemm(left, Nd4j.create(b).castTo(type), transposeA, false);
    double worst = 0;
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double sum = 0;
        double magnitude = 0;
        for (int p = 0; p < k; p++) {
          sum += a[i][p] * b[p][j];
          magnitude += Math.abs(a[i][p] * b[p][j]);
        }
        worst = Math.max(worst, Math.abs(product.getDouble(i, j) - sum) / magnitude);
      }
    }
    return worst;
  }

  private static double[][] gaussian(Random random, int rows, int cols) {
    double[][] values = new double[rows][cols];
    for (double[] row : values) {
      for (int j = 0; j < cols; j++) {
        row[j] = random.nextGaussian();
      }
    }
    return values;
  }

  private static double[][] transpose(double[][] values) {
    double[][] out = new double[values[0].length][values.length];
    for (int i = 0; i < values.length; i++) {
      for (int j = 0; j < values[0].length; j++) {
        out[j][i] = values[i][j];
      }
    }
    return out;
  }
}
