package dev.sparkvae.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LatentProjectionTest {
  @Test
  void jacobiFindsTheEigenvectorsOfARotatedDiagonalMatrix() {
    double angle = 0.7;
    double[][] rotation = {{Math.cos(angle), -Math.sin(angle), 0}, {Math.sin(angle), Math.cos(angle), 0},
        {0, 0, 1}};
    double[] eigenvalues = {5, 2, 1};
    double[][] a = new double[3][3];
    for (int i = 0; i < 3; i++) {
      for (int j = 0; j < 3; j++) {
        for (int k = 0; k < 3; k++) {
          a[i][j] += rotation[i][k] * eigenvalues[k] * rotation[j][k];
        }
      }
    }
    double[][] vectors = new double[3][3];
    double[] values = LatentProjection.symmetricEigen(a, vectors);
    for (int k = 0; k < 3; k++) {
      int found = -1;
      for (int i = 0; i < 3; i++) {
        if (Math.abs(values[i] - eigenvalues[k]) < 1e-9) {
          found = i;
        }
      }
      assertThat(found).as("eigenvalue %s found among %s", eigenvalues[k], java.util.Arrays.toString(values))
          .isNotNegative();
      double dot = 0;
      for (int i = 0; i < 3; i++) {
        dot += vectors[i][found] * rotation[i][k];
      }
      assertThat(Math.abs(dot)).as("eigenvector %d is column %d of the rotation", found, k).isCloseTo(1, within(1e-9));
    }
  }

  @Test
  void pointsAlongALineProjectOntoItsDirection() {
    Random random = new Random(3);
    float[][] z = new float[500][4];
    double[] t = new double[z.length];
    for (int r = 0; r < z.length; r++) {
      t[r] = random.nextGaussian() * 3;
      z[r] = new float[] {(float) (10 + t[r] / Math.sqrt(5)), (float) (-4 + 2 * t[r] / Math.sqrt(5)),
          (float) (0.01 * random.nextGaussian()), (float) (0.02 * random.nextGaussian())};
    }
    LatentProjection projection = LatentProjection.of(z);
    double meanT = java.util.Arrays.stream(t).average().orElseThrow();
    for (int r = 0; r < z.length; r++) {
      assertThat(projection.x()[r]).as("row %d on the first component", r).isCloseTo(t[r] - meanT, within(1e-3));
      assertThat(Math.abs(projection.y()[r])).as("row %d off it", r).isLessThan(0.1);
    }
    assertThat(projection.xTitle()).isEqualTo("PC1 of z_mean (100% of variance)");
    assertThat(projection.yTitle()).isEqualTo("PC2 of z_mean (0% of variance)");
  }

  @Test
  void aTwoDimensionalLatentIsPlottedAsItIs() {
    LatentProjection projection = LatentProjection.of(new float[][] {{1, 2}, {3, -4}});
    assertThat(projection.x()).containsExactly(1, 3);
    assertThat(projection.y()).containsExactly(2, -4);
    assertThat(projection.xTitle()).isEqualTo("z_mean[0]");
  }
}
