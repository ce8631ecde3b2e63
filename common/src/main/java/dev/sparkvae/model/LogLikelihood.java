package dev.sparkvae.model;

import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.ReconstructionDistribution;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * log p(x|z) of each row from the pre-activation parameters of p(x|z): the one reconstruction term of every score
 * reported (the negative ELBO of training and of the scoring jobs, the reconstruction error, the importance
 * weights). A Bernoulli p(x|z) with the sigmoid is computed in its exact form, Σ x·a − softplus(a) over the logits
 * a; any other p(x|z) as DL4J computes it (exact for the Gaussian).
 *
 * <p>Why not DL4J's Bernoulli form, x·log σ(a) + (1 − x)·log(1 − σ(a)) in float: 1 − σ(a) is 0 in float for
 * a &gt; 16.6 and DL4J then counts log 0 as 0, so a confident wrong pixel costs nothing, and it loses precision
 * long before that.
 */
public final class LogLikelihood {
  private LogLikelihood() {}

  /** Whether {@code distribution} is a Bernoulli with the sigmoid, the one computed here rather than by DL4J. */
  public static boolean isBernoulliLogits(ReconstructionDistribution distribution) {
    return distribution instanceof BernoulliReconstructionDistribution bernoulli
        && bernoulli.getActivationFn() instanceof ActivationSigmoid;
  }

  /**
   * log p(x_r | z_r) of each row r (nats).
   *
   * @param x rows × features, float
   * @param pre the pre-activation parameters of p(x|z), one row per row of {@code x}; not modified
   */
  public static float[] perRow(ReconstructionDistribution distribution, INDArray x, INDArray pre) {
    if (!isBernoulliLogits(distribution)) {
      return distribution.exampleNegLogProbability(x, pre).negi().reshape(x.size(0)).toFloatVector();
    }
    return rowSums(x.mul(pre).subi(softplus(pre)));
  }

  /** The sum of each row, in double and in order: the same for a row whatever batch it is in (ND4J's may not be). */
  private static float[] rowSums(INDArray terms) {
    int width = (int) terms.size(1);
    float[] values = terms.dup('c').data().asFloat();
    float[] sums = new float[(int) terms.size(0)];
    for (int r = 0; r < sums.length; r++) {
      double sum = 0;
      for (int i = r * width; i < (r + 1) * width; i++) {
        sum += values[i];
      }
      sums[r] = (float) sum;
    }
    return sums;
  }

  /** softplus(a) = max(a, 0) + log(1 + exp(−|a|)), which neither overflows nor loses small values. */
  private static INDArray softplus(INDArray a) {
    INDArray tail = Transforms.log1p(Transforms.exp(Transforms.abs(a, true).negi(), false), false);
    return Transforms.relu(a, true).addi(tail);
  }
}
