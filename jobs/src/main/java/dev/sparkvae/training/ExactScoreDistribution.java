package dev.sparkvae.training;

import dev.sparkvae.model.LogLikelihood;
import java.lang.reflect.Field;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.variational.ReconstructionDistribution;
import org.deeplearning4j.nn.layers.variational.VariationalAutoencoder;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The p(x|z) a training step's layer works with: DL4J's own for the gradient and everything else, and
 * {@link LogLikelihood} for the score, so that a step reports the exact negative ELBO (the definition every
 * reported score uses) while the gradient, and so the trained model, stay DL4J's to the last bit.
 *
 * <p>DL4J's layer copies its p(x|z) from the configuration into a field when it is built and scores and
 * differentiates through that field; {@link #install} replaces the field of one layer, not the configuration,
 * which is what a saved model records. Only a Bernoulli with the sigmoid is replaced: DL4J computes the others
 * exactly. Danger: the field is DL4J's internal (reached by reflection); a DL4J version without it fails the
 * first step, naming it.
 */
final class ExactScoreDistribution implements ReconstructionDistribution {
  private static final long serialVersionUID = 1L;
  private static final Field LAYER_DISTRIBUTION = layerDistributionField();

  private final ReconstructionDistribution dl4j;

  private ExactScoreDistribution(ReconstructionDistribution dl4j) {
    this.dl4j = dl4j;
  }

  /** Makes {@code layer} (a DL4J VariationalAutoencoder) score with {@link LogLikelihood}; once is enough. */
  static void install(Layer layer) {
    try {
      Object current = LAYER_DISTRIBUTION.get(layer);
      if (current instanceof ReconstructionDistribution distribution
          && LogLikelihood.isBernoulliLogits(distribution)) {
        LAYER_DISTRIBUTION.set(layer, new ExactScoreDistribution(distribution));
      }
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("Cannot reach the p(x|z) of DL4J's VAE layer", e);
    }
  }

  private static Field layerDistributionField() {
    try {
      Field field = VariationalAutoencoder.class.getDeclaredField("reconstructionDistribution");
      field.setAccessible(true);
      return field;
    } catch (NoSuchFieldException e) {
      throw new IllegalStateException("This DL4J's VAE layer has no field reconstructionDistribution", e);
    }
  }

  @Override
  public double negLogProbability(INDArray x, INDArray preOutDistributionParams, boolean average) {
    double sum = 0;
    for (float logPxz : LogLikelihood.perRow(dl4j, x, preOutDistributionParams)) {
      sum -= logPxz;
    }
    return average ? sum / x.size(0) : sum;
  }

  @Override
  public INDArray exampleNegLogProbability(INDArray x, INDArray preOutDistributionParams) {
    return Nd4j.createFromArray(LogLikelihood.perRow(dl4j, x, preOutDistributionParams)).negi()
        .reshape(x.size(0), 1);
  }

  @Override
  public INDArray gradient(INDArray x, INDArray preOutDistributionParams) {
    return dl4j.gradient(x, preOutDistributionParams);
  }

  @Override
  public boolean hasLossFunction() {
    return dl4j.hasLossFunction();
  }

  @Override
  public int distributionInputSize(int dataSize) {
    return dl4j.distributionInputSize(dataSize);
  }

  @Override
  public INDArray generateRandom(INDArray preOutDistributionParams) {
    return dl4j.generateRandom(preOutDistributionParams);
  }

  @Override
  public INDArray generateAtMean(INDArray preOutDistributionParams) {
    return dl4j.generateAtMean(preOutDistributionParams);
  }
}
