package dev.sparkvae.model;

import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureStatistics;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The per-feature scaling a model was trained with, learned from the training rows and recorded in
 * {@code model.json}: the network is trained on x'_i = (x_i − shift_i) / scale_i.
 *
 * <ul>
 *   <li>{@value #NONE}: no scaling (shift and scale are null);
 *   <li>{@value #STANDARDIZE}: shift = mean, scale = population standard deviation (z-scores);
 *   <li>{@value #MIN_MAX}: shift = minimum, scale = maximum − minimum (the training rows span [0, 1]).
 * </ul>
 * A constant feature (zero spread) gets scale 1, so it is only shifted, never divided by 0.
 *
 * <p>After training the scaling is {@link #foldInto folded} into the network's first encoder layer and, for a
 * Gaussian p(x|z), its output layer, so the saved network, every engine and the ONNX exports take raw rows and
 * return reconstructions in the input's units, at no cost per row; their log-likelihoods are densities of the raw
 * data (the scaled ones minus {@link #logJacobian()}). Danger: folding a feature whose mean is far larger than its
 * spread (shift / scale in the thousands) costs float32 precision in the first layer.
 *
 * @param method {@value #NONE}, {@value #STANDARDIZE} or {@value #MIN_MAX}
 * @param shift subtracted from each raw feature; null for {@value #NONE}
 * @param scale each shifted feature is divided by it (positive); null for {@value #NONE}
 */
public record FeatureScaling(String method, double[] shift, double[] scale) implements Serializable {
  public static final String AUTO = "auto";
  public static final String NONE = "none";
  public static final String STANDARDIZE = "standardize";
  public static final String MIN_MAX = "min-max";

  public FeatureScaling {
    if (!List.of(NONE, STANDARDIZE, MIN_MAX).contains(method)) {
      throw new IllegalArgumentException("Unknown feature scaling " + method + "; known: none, standardize, min-max");
    }
    if ((shift == null) != NONE.equals(method) || (scale == null) != NONE.equals(method)
        || shift != null && shift.length != scale.length) {
      throw new IllegalArgumentException("Feature scaling " + method + " needs " + (NONE.equals(method)
          ? "no shift and scale" : "a shift and a scale of the same length"));
    }
  }

  /** No scaling. */
  public static FeatureScaling none() {
    return new FeatureScaling(NONE, null, null);
  }

  /**
   * The method that the setting {@code setting} means for p(x|z) {@code distribution}: {@value #AUTO} is
   * {@value #STANDARDIZE} for a Gaussian, {@value #NONE} for a Bernoulli.
   *
   * @throws IllegalArgumentException for a scaling other than none with a Bernoulli p(x|z), whose data must be in
   *     [0, 1] as given
   */
  public static String resolve(String setting, String distribution) {
    boolean gaussian = VaeSpec.GAUSSIAN.equals(distribution);
    String method = AUTO.equals(setting) ? (gaussian ? STANDARDIZE : NONE) : setting;
    if (!gaussian && !NONE.equals(method)) {
      throw new IllegalArgumentException("Cannot use data.scaling = " + setting + " with vae.distribution = "
          + distribution + ": a Bernoulli p(x|z) models data in [0, 1] as given; use none, or a gaussian model");
    }
    return method;
  }

  /** The scaling {@code method} ({@value #NONE}, {@value #STANDARDIZE} or {@value #MIN_MAX}) of rows {@code stats}. */
  public static FeatureScaling fit(String method, FeatureStatistics stats) {
    if (NONE.equals(method)) {
      return none();
    }
    int n = stats.featureCount();
    double[] shift = new double[n];
    double[] scale = new double[n];
    for (int i = 0; i < n; i++) {
      boolean standardize = STANDARDIZE.equals(method);
      shift[i] = standardize ? stats.mean(i) : stats.min(i);
      double spread = standardize ? stats.standardDeviation(i) : stats.max(i) - stats.min(i);
      scale[i] = spread > 0 && Double.isFinite(spread) ? spread : 1.0;
    }
    return new FeatureScaling(method, shift, scale);
  }

  public boolean isNone() {
    return NONE.equals(method);
  }

  /** Σ log scale_i: −log p(x) of a raw row minus −log p of its scaled row; 0 for {@value #NONE}. */
  public double logJacobian() {
    return isNone() ? 0 : Arrays.stream(scale).map(Math::log).sum();
  }

  /** Scales {@code count} rows of {@code buffer} (row-major, {@code shift.length} wide) in place. */
  public void apply(float[] buffer, int count) {
    if (isNone()) {
      return;
    }
    int width = shift.length;
    for (int r = 0; r < count; r++) {
      for (int i = 0; i < width; i++) {
        int at = r * width + i;
        buffer[at] = (float) ((buffer[at] - shift[i]) / scale[i]);
      }
    }
  }

  /**
   * A copy of {@code net} (trained on scaled rows) that takes raw rows: the first encoder layer's weights become
   * W_ij / scale_i and its bias b_j − Σ_i shift_i W_ij / scale_i; for a Gaussian p(x|z), the mean outputs become
   * μ · scale + shift and the log-variances log σ² + 2 log scale. {@code net} itself is unchanged; {@value #NONE}
   * returns it as it is.
   *
   * @throws IllegalArgumentException for a scaling with a p(x|z) other than a Gaussian with the identity activation
   */
  public MultiLayerNetwork foldInto(MultiLayerNetwork net) {
    if (isNone()) {
      return net;
    }
    VariationalAutoencoder conf = (VariationalAutoencoder) net.getLayer(0).conf().getLayer();
    if (!(conf.getOutputDistribution() instanceof GaussianReconstructionDistribution gaussian
        && gaussian.getActivationFn() instanceof ActivationIdentity)) {
      throw new IllegalArgumentException("Cannot fold feature scaling into p(x|z) " + conf.getOutputDistribution()
          + ": it must be a Gaussian with the identity activation");
    }
    MultiLayerNetwork folded = net.clone();
    var params = folded.getLayer(0).paramTable();
    double[][] w = params.get("e0W").toDoubleMatrix();
    double[] b = params.get("e0b").toDoubleVector();
    for (int j = 0; j < b.length; j++) {
      for (int i = 0; i < w.length; i++) {
        b[j] -= shift[i] / scale[i] * w[i][j];
      }
    }
    for (int i = 0; i < w.length; i++) {
      for (int j = 0; j < b.length; j++) {
        w[i][j] /= scale[i];
      }
    }
    assign(params.get("e0W"), Nd4j.create(w));
    assign(params.get("e0b"), Nd4j.create(b).reshape(1, b.length));
    double[][] out = params.get("pXZW").toDoubleMatrix();
    double[] outBias = params.get("pXZb").toDoubleVector();
    int features = shift.length;
    for (int f = 0; f < features; f++) {
      for (double[] row : out) {
        row[f] *= scale[f];
      }
      outBias[f] = outBias[f] * scale[f] + shift[f];
      outBias[features + f] += 2 * Math.log(scale[f]);
    }
    assign(params.get("pXZW"), Nd4j.create(out));
    assign(params.get("pXZb"), Nd4j.create(outBias).reshape(1, outBias.length));
    return folded;
  }

  private static void assign(INDArray target, INDArray values) {
    target.assign(values.castTo(DataType.FLOAT).reshape(target.shape()));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureScaling other && method.equals(other.method) && Arrays.equals(shift, other.shift)
        && Arrays.equals(scale, other.scale);
  }

  @Override
  public int hashCode() {
    return 31 * method.hashCode() + Arrays.hashCode(shift) + 7 * Arrays.hashCode(scale);
  }

  @Override
  public String toString() {
    return isNone() ? "none" : method + " of " + shift.length + " features";
  }
}
