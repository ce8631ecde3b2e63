package dev.sparkvae.cluster;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a fresh JVM by {@link BlasKernelTest}: with {@code choose}, lets {@link BlasKernel} choose the kernel for
 * this CPU, with {@code choose KERNEL}, has it set that one, then checks
 * ND4J's matrix products against a plain Java reference and prints {@code kernel=K error=E}, E the largest
 * |ND4J - reference| over Σ|a||b| of its entry, in single and double precision.
 */
public final class BlasKernelProbe {
  private BlasKernelProbe() {}

  public static void main(String[] args) {
    if (args.length == 1 && args[0].equals("choose")) {
      BlasKernel.chooseForThisProcess();
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
    System.out.println("kernel=" + String.join("/", BlasKernel.running()) + " error=" + worst);
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
