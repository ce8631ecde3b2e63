package dev.sparkvae.plot;

/**
 * Latent means as points in the plane. With a latent size of 2 the points are the two dimensions themselves (1:
 * the dimension against 0); with more, the centred rows are projected on their first two principal components
 * (eigenvectors of the sample covariance with the largest eigenvalues, each signed so that its largest
 * component is positive, so the same rows always give the same picture).
 *
 * @param x first coordinate of every row
 * @param y second coordinate of every row
 * @param xTitle what x is, e.g. {@code PC1 of z_mean (41% of variance)}
 * @param yTitle what y is
 */
public record LatentProjection(double[] x, double[] y, String xTitle, String yTitle) {
  private static final int MAX_SWEEPS = 100;

  /** The projection of {@code zMean} (rows × latent size; at least one row). */
  public static LatentProjection of(float[][] zMean) {
    int rows = zMean.length;
    int latent = zMean[0].length;
    double[] x = new double[rows];
    double[] y = new double[rows];
    if (latent <= 2) {
      for (int r = 0; r < rows; r++) {
        x[r] = zMean[r][0];
        y[r] = latent == 2 ? zMean[r][1] : 0;
      }
      return new LatentProjection(x, y, "z_mean[0]", latent == 2 ? "z_mean[1]" : "(latent size 1)");
    }
    double[] mean = new double[latent];
    for (float[] row : zMean) {
      for (int j = 0; j < latent; j++) {
        mean[j] += row[j] / (double) rows;
      }
    }
    double[][] covariance = new double[latent][latent];
    for (float[] row : zMean) {
      for (int i = 0; i < latent; i++) {
        for (int j = 0; j <= i; j++) {
          covariance[i][j] += (row[i] - mean[i]) * (row[j] - mean[j]) / Math.max(1, rows - 1);
        }
      }
    }
    for (int i = 0; i < latent; i++) {
      for (int j = 0; j < i; j++) {
        covariance[j][i] = covariance[i][j];
      }
    }
    double total = 0;
    for (int i = 0; i < latent; i++) {
      total += covariance[i][i];
    }
    double[][] vectors = new double[latent][latent];
    double[] values = symmetricEigen(covariance, vectors);
    int first = largest(values, -1);
    int second = largest(values, first);
    double[] pc1 = column(vectors, first);
    double[] pc2 = column(vectors, second);
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < latent; j++) {
        double centred = zMean[r][j] - mean[j];
        x[r] += centred * pc1[j];
        y[r] += centred * pc2[j];
      }
    }
    return new LatentProjection(x, y, title(1, values[first], total), title(2, values[second], total));
  }

  private static String title(int component, double variance, double total) {
    return String.format("PC%d of z_mean (%.0f%% of variance)", component, total > 0 ? 100 * variance / total : 0);
  }

  private static int largest(double[] values, int except) {
    int best = -1;
    for (int i = 0; i < values.length; i++) {
      if (i != except && (best < 0 || values[i] > values[best])) {
        best = i;
      }
    }
    return best;
  }

  /** Column {@code c} of {@code vectors}, signed so that its largest-magnitude component is positive. */
  private static double[] column(double[][] vectors, int c) {
    double[] v = new double[vectors.length];
    int largest = 0;
    for (int i = 0; i < v.length; i++) {
      v[i] = vectors[i][c];
      if (Math.abs(v[i]) > Math.abs(v[largest])) {
        largest = i;
      }
    }
    if (v[largest] < 0) {
      for (int i = 0; i < v.length; i++) {
        v[i] = -v[i];
      }
    }
    return v;
  }

  /**
   * Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi rotations (Golub &amp; Van Loan, 8.5):
   * returns the eigenvalues; {@code vectors} receives the matching unit eigenvectors as columns. {@code a} is
   * overwritten. Latent sizes are small (tens to hundreds), so the O(n³) sweeps cost nothing beside the encoder.
   */
  static double[] symmetricEigen(double[][] a, double[][] vectors) {
    int n = a.length;
    for (int i = 0; i < n; i++) {
      java.util.Arrays.fill(vectors[i], 0);
      vectors[i][i] = 1;
    }
    for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      double off = 0;
      double diagonal = 0;
      for (int p = 0; p < n; p++) {
        diagonal += a[p][p] * a[p][p];
        for (int q = p + 1; q < n; q++) {
          off += a[p][q] * a[p][q];
        }
      }
      if (off <= 1e-24 * diagonal || off == 0) {
        break;
      }
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          if (a[p][q] != 0) {
            rotate(a, vectors, p, q);
          }
        }
      }
    }
    double[] values = new double[n];
    for (int i = 0; i < n; i++) {
      values[i] = a[i][i];
    }
    return values;
  }

  /** One Jacobi rotation A ← JᵀAJ, V ← VJ that zeroes a[p][q]. */
  private static void rotate(double[][] a, double[][] v, int p, int q) {
    double theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
    double t = Math.signum(theta == 0 ? 1 : theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
    double c = 1 / Math.sqrt(t * t + 1);
    double s = t * c;
    int n = a.length;
    for (int k = 0; k < n; k++) {
      double kp = a[k][p];
      double kq = a[k][q];
      a[k][p] = c * kp - s * kq;
      a[k][q] = s * kp + c * kq;
    }
    for (int k = 0; k < n; k++) {
      double pk = a[p][k];
      double qk = a[q][k];
      a[p][k] = c * pk - s * qk;
      a[q][k] = s * pk + c * qk;
    }
    for (int k = 0; k < n; k++) {
      double kp = v[k][p];
      double kq = v[k][q];
      v[k][p] = c * kp - s * kq;
      v[k][q] = s * kp + c * kq;
    }
  }
}
