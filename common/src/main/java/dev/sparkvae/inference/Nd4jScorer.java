package dev.sparkvae.inference;

import dev.sparkvae.model.LogLikelihood;
import dev.sparkvae.model.VaeMaths;
import java.util.Arrays;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The reference {@link BatchScorer}: both network passes on ND4J, with the model's own layers, and log p(x|z) as
 * {@link LogLikelihood} defines it (a Bernoulli p(x|z) in its exact form, not DL4J's).
 *
 * <p>Safe to share between threads: it only reads the model.
 */
public final class Nd4jScorer extends BatchScorer {
  private final VaeMaths model;
  private final boolean bernoulliLogits;

  /**
   * @param model the VAE
   * @param samples importance samples K for {@code log_prob} (0 = do not compute log_prob or the ELBO)
   * @param withReconstruction also return the reconstruction
   * @param attributionFeatures the features per row of the attribution (0: none; see {@link BatchScorer})
   * @param modelSeed seeds the noise together with each row id (see {@link BatchScorer})
   */
  public Nd4jScorer(VaeMaths model, int samples, boolean withReconstruction, int attributionFeatures,
      long modelSeed) {
    super(model.featureCount(), model.latentSize(), samples, withReconstruction, attributionFeatures, modelSeed);
    this.model = model;
    this.bernoulliLogits = LogLikelihood.isBernoulliLogits(model.distribution());
  }

  /** A scorer without attribution. */
  public Nd4jScorer(VaeMaths model, int samples, boolean withReconstruction, long modelSeed) {
    this(model, samples, withReconstruction, 0, modelSeed);
  }

  @Override
  protected float[] encodeJoint(float[] rows, int count) {
    return model.encodeJoint(matrix(rows, count, featureCount())).dup('c').data().asFloat();
  }

  @Override
  protected Likelihood logLikelihood(float[] rows, int count, float[] z, int perRow) {
    INDArray x = matrix(rows, count, featureCount());
    if (perRow > 1) {
      int[] repeated = new int[count * perRow];
      for (int i = 0; i < repeated.length; i++) {
        repeated[i] = i / perRow;
      }
      x = Nd4j.pullRows(x, 1, repeated);
    }
    INDArray pre = model.decodePreOutput(matrix(z, count * perRow, latentSize()));
    float[] logPxz = LogLikelihood.perRow(model.distribution(), x, pre);
    INDArray first = perRow == 1 ? pre
        : pre.get(NDArrayIndex.interval(0, perRow, (long) count * perRow), NDArrayIndex.all());
    float[] contributions = attributes() ? new float[count * featureCount()] : null;
    float[] misfit = bernoulliLogits ? bernoulliDeviance(rows, count, logPxz, perRow, first, contributions)
        : gaussianDeviance(rows, count, first, contributions);
    float[] reconstruction = reconstructs()
        ? model.distribution().generateAtMean(first).dup('c').data().asFloat() : null;
    return new Likelihood(logPxz, misfit, reconstruction, contributions);
  }

  /**
   * −log p(x|z) − Σ H(x) at each row's first latent, the entropy summed in double with 0 log 0 = 0; into
   * {@code contributions}, when not null, each feature's softplus(a) − x·a − H(x) over the logits a there.
   */
  private float[] bernoulliDeviance(float[] rows, int count, float[] logPxz, int perRow, INDArray first,
      float[] contributions) {
    int width = featureCount();
    float[] logits = contributions == null ? null : first.dup('c').data().asFloat();
    float[] misfit = new float[count];
    for (int r = 0; r < count; r++) {
      double negativeEntropy = 0;
      for (int i = r * width; i < (r + 1) * width; i++) {
        double x = rows[i];
        double negativeEntropyTerm = (x > 0 ? x * Math.log(x) : 0) + (x < 1 ? (1 - x) * Math.log(1 - x) : 0);
        negativeEntropy += negativeEntropyTerm;
        if (contributions != null) {
          double a = logits[i];
          double softplus = Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
          contributions[i] = (float) (softplus - x * a + negativeEntropyTerm);
        }
      }
      misfit[r] = (float) (negativeEntropy - logPxz[r * perRow]);
    }
    return misfit;
  }

  /**
   * ½ Σ (x − μ)² / σ² of each row at its first latent, {@code first} the pre-activation [μ | log σ²] there; into
   * {@code contributions}, when not null, each feature's term.
   */
  private float[] gaussianDeviance(float[] rows, int count, INDArray first, float[] contributions) {
    if (!(model.distribution() instanceof GaussianReconstructionDistribution gaussian)) {
      throw new IllegalArgumentException("Cannot score p(x|z) " + model.distribution() + ": it must be Gaussian, "
          + "or Bernoulli with the sigmoid");
    }
    int width = featureCount();
    float[] params = gaussian.getActivationFn().getActivation(first.dup('c'), false).dup('c').data().asFloat();
    float[] misfit = new float[count];
    for (int r = 0; r < count; r++) {
      double sum = 0;
      for (int f = 0; f < width; f++) {
        double deviation = rows[r * width + f] - params[r * 2 * width + f];
        double term = deviation * deviation / Math.exp(params[r * 2 * width + width + f]);
        sum += term;
        if (contributions != null) {
          contributions[r * width + f] = (float) (0.5 * term);
        }
      }
      misfit[r] = (float) (0.5 * sum);
    }
    return misfit;
  }

  /** The first {@code count} rows of {@code values} (row-major, {@code width} wide) as a float matrix. */
  private static INDArray matrix(float[] values, int count, int width) {
    float[] exact = values.length == count * width ? values : Arrays.copyOf(values, count * width);
    long[] shape = {count, width};
    return Nd4j.create(Nd4j.createBuffer(exact), shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
  }
}
