package dev.sparkvae.model;

import dev.sparkvae.config.VaeSpec;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A DL4J VAE whose layers are all linear, so that its likelihoods are closed form (row vectors throughout). The
 * decoder: z ~ N(0, I) and x | z ~ N(z·M + b, diag(σ²)), so x ~ N(b, MᵀM + diag(σ²)). The encoder: q(z|x) =
 * N(x·A + c, diag(exp(x·V + v))). In the network the encoder's hidden layer and the decoder's are identities, so
 * the heads carry A, c, V, v and M, b, log σ².
 *
 * <p>Everything here is computed in double from the matrices, independently of the code under test.
 */
public final class LinearGaussianVae {
  private final double[][] m;
  private final double[] b;
  private final double[] logVarX;
  private final double[][] a;
  private final double[] c;
  private final double[][] v;
  private final double[] vBias;

  /**
   * @param m latent × features loadings of the decoder
   * @param b features: the decoder's mean at z = 0
   * @param logVarX features: log σ² of p(x|z)
   * @param a features × latent: the encoder's mean weights
   * @param c latent: the encoder's mean bias
   * @param v features × latent: the encoder's log-variance weights
   * @param vBias latent: the encoder's log-variance bias
   */
  public LinearGaussianVae(double[][] m, double[] b, double[] logVarX, double[][] a, double[] c, double[][] v,
      double[] vBias) {
    this.m = m;
    this.b = b;
    this.logVarX = logVarX;
    this.a = a;
    this.c = c;
    this.v = v;
    this.vBias = vBias;
  }

  /**
   * Three features and two latents: M = [[1, 2, 0], [1, −1, 0.7]], b = (0.3, −0.2, 0.5), σ² = (0.5, 1, 2), whose
   * rows are orthogonal under D⁻¹ (1·1/0.5 − 2·1/1 + 0 = 0), with the encoder of its exact posterior.
   */
  public static LinearGaussianVae example() {
    return withExactPosterior(new double[][] {{1, 2, 0}, {1, -1, 0.7}}, new double[] {0.3, -0.2, 0.5},
        new double[] {Math.log(0.5), 0, Math.log(2)});
  }

  /**
   * The decoder M, b, log σ² with the encoder that gives its exact posterior, N(S·M·D⁻¹·(x − b), S) with S = (I +
   * M·D⁻¹·Mᵀ)⁻¹ and D = diag(σ²). The rows of M must be orthogonal under D⁻¹, so that S is diagonal.
   */
  public static LinearGaussianVae withExactPosterior(double[][] m, double[] b, double[] logVarX) {
    int latent = m.length;
    int features = b.length;
    double[][] a = new double[features][latent];
    double[] c = new double[latent];
    double[] vBias = new double[latent];
    for (int j = 0; j < latent; j++) {
      for (int k = 0; k < latent; k++) {
        double product = 0;
        for (int f = 0; f < features; f++) {
          product += m[j][f] * m[k][f] / Math.exp(logVarX[f]);
        }
        if (j == k) {
          double posteriorVariance = 1 / (1 + product);
          vBias[j] = Math.log(posteriorVariance);
          for (int f = 0; f < features; f++) {
            a[f][j] = posteriorVariance * m[j][f] / Math.exp(logVarX[f]);
            c[j] -= a[f][j] * b[f];
          }
        } else if (Math.abs(product) > 1e-12) {
          throw new IllegalArgumentException("rows " + j + " and " + k + " of M are not orthogonal under D⁻¹");
        }
      }
    }
    return new LinearGaussianVae(m, b, logVarX, a, c, new double[features][latent], vBias);
  }

  /** A copy whose encoder means are shifted by {@code meanShift} and variances scaled by {@code varianceFactor}. */
  public LinearGaussianVae withEncoderOff(double meanShift, double varianceFactor) {
    double[] shifted = c.clone();
    double[] scaled = vBias.clone();
    for (int j = 0; j < shifted.length; j++) {
      shifted[j] += meanShift;
      scaled[j] += Math.log(varianceFactor);
    }
    return new LinearGaussianVae(m, b, logVarX, a, shifted, v, scaled);
  }

  /** The same decoder with an encoder of three features unrelated to the posterior, whose variances depend on x. */
  public LinearGaussianVae withUnrelatedEncoder() {
    return new LinearGaussianVae(m, b, logVarX, new double[][] {{0.5, -0.3}, {0.2, 0.8}, {-0.6, 0.1}},
        new double[] {0.4, -0.7}, new double[][] {{0.2, -0.1}, {0.1, 0.3}, {-0.4, 0.2}}, new double[] {-0.5, 0.3});
  }

  /** The same encoder with a decoder that ignores z: M = 0, so p(x|z) = N(x; b, diag(σ²)) for every z. */
  public LinearGaussianVae withDecoderIgnoringZ() {
    return new LinearGaussianVae(new double[m.length][b.length], b, logVarX, a, c, v, vBias);
  }

  public int featureCount() {
    return b.length;
  }

  public int latentSize() {
    return m.length;
  }

  /** The network: float32 parameters set from the matrices. */
  public MultiLayerNetwork network() {
    int features = featureCount();
    int latent = latentSize();
    VaeSpec spec = new VaeSpec(new int[] {features}, new int[] {latent}, latent, "identity", VaeSpec.GAUSSIAN);
    MultiLayerNetwork net = VaeNetworks.create(spec, TestNets.train(1), features);
    Map<String, INDArray> params = net.getLayer(0).paramTable();
    params.values().forEach(p -> p.assign(0));
    for (int f = 0; f < features; f++) {
      params.get("e0W").putScalar(f, f, 1);
      for (int j = 0; j < latent; j++) {
        params.get("pZXMeanW").putScalar(f, j, a[f][j]);
        params.get("pZXLogStd2W").putScalar(f, j, v[f][j]);
      }
    }
    for (int j = 0; j < latent; j++) {
      params.get("pZXMeanb").putScalar(j, c[j]);
      params.get("pZXLogStd2b").putScalar(j, vBias[j]);
      params.get("d0W").putScalar(j, j, 1);
      for (int f = 0; f < features; f++) {
        params.get("pXZW").putScalar(j, f, m[j][f]);
      }
    }
    for (int f = 0; f < features; f++) {
      params.get("pXZb").putScalar(f, b[f]);
      params.get("pXZb").putScalar(features + f, logVarX[f]);
    }
    return net;
  }

  /** {@code count} rows drawn from the model (z ~ N(0, I), then x = z·M + b + σ·ε), row-major. */
  public float[] sample(int count, long seed) {
    Random random = new Random(seed);
    int features = featureCount();
    float[] rows = new float[count * features];
    for (int r = 0; r < count; r++) {
      double[] z = new double[latentSize()];
      for (int j = 0; j < z.length; j++) {
        z[j] = random.nextGaussian();
      }
      double[] mean = affine(z, m, b);
      for (int f = 0; f < features; f++) {
        rows[r * features + f] = (float) (mean[f] + Math.exp(0.5 * logVarX[f]) * random.nextGaussian());
      }
    }
    return rows;
  }

  /** Row {@code r} of row-major {@code rows}, in double. */
  public double[] row(float[] rows, int r) {
    int features = featureCount();
    double[] x = new double[features];
    for (int f = 0; f < features; f++) {
      x[f] = rows[r * features + f];
    }
    return x;
  }

  /** KL(q(z|x) ‖ N(0, I)) = Σ_j (s²_j + μ²_j − 1)/2 − log s_j for q(z|x) = N(μ, diag(s²)). */
  public double klToPrior(double[] x) {
    double[] mean = posteriorMean(x);
    double[] logVar = posteriorLogVariance(x);
    double kl = 0;
    for (int j = 0; j < mean.length; j++) {
      kl += (Math.exp(logVar[j]) + mean[j] * mean[j] - 1) / 2 - logVar[j] / 2;
    }
    return kl;
  }

  /** The mean of q(z|x). */
  public double[] posteriorMean(double[] x) {
    return affine(x, a, c);
  }

  /** The log-variance of q(z|x). */
  public double[] posteriorLogVariance(double[] x) {
    return affine(x, v, vBias);
  }

  /** log p(x|z). */
  public double logLikelihood(double[] x, double[] z) {
    double[] mean = affine(z, m, b);
    double sum = 0;
    for (int f = 0; f < x.length; f++) {
      double d = x[f] - mean[f];
      sum += -0.5 * (Math.log(2 * Math.PI) + logVarX[f] + d * d / Math.exp(logVarX[f]));
    }
    return sum;
  }

  /** log p(x) = log N(x; b, MᵀM + diag(σ²)), by the Cholesky factor L of the covariance: |Σ| = Π L_ff². */
  public double logMarginal(double[] x) {
    int n = featureCount();
    double[][] cov = new double[n][n];
    for (int f = 0; f < n; f++) {
      for (int g = 0; g < n; g++) {
        for (double[] row : m) {
          cov[f][g] += row[f] * row[g];
        }
      }
      cov[f][f] += Math.exp(logVarX[f]);
    }
    double[][] l = new double[n][n];
    for (int f = 0; f < n; f++) {
      for (int g = 0; g <= f; g++) {
        double sum = cov[f][g];
        for (int k = 0; k < g; k++) {
          sum -= l[f][k] * l[g][k];
        }
        l[f][g] = f == g ? Math.sqrt(sum) : sum / l[g][g];
      }
    }
    // Solve L·y = x − b: then (x − b)ᵀ Σ⁻¹ (x − b) = |y|².
    double[] y = new double[n];
    double quadratic = 0;
    double logDet = 0;
    for (int f = 0; f < n; f++) {
      double sum = x[f] - b[f];
      for (int k = 0; k < f; k++) {
        sum -= l[f][k] * y[k];
      }
      y[f] = sum / l[f][f];
      quadratic += y[f] * y[f];
      logDet += 2 * Math.log(l[f][f]);
    }
    return -0.5 * (n * Math.log(2 * Math.PI) + logDet + quadratic);
  }

  /** row · weights + bias, the row a vector of weights.length values. */
  private static double[] affine(double[] row, double[][] weights, double[] bias) {
    double[] out = bias.clone();
    for (int i = 0; i < row.length; i++) {
      for (int j = 0; j < out.length; j++) {
        out[j] += row[i] * weights[i][j];
      }
    }
    return out;
  }
}
