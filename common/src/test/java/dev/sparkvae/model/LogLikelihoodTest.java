package dev.sparkvae.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LogLikelihoodTest {
  private static INDArray rows(float[][] values) {
    return Nd4j.createFromArray(values);
  }

  @Test
  void aBernoulliCountsEverySaturatedPixelAtItsExactCost() {
    float ln3 = (float) Math.log(3);
    INDArray x = rows(new float[][] {{0, 1, 1, 0.5f}, {0.25f, 1, 0, 1}});
    INDArray logits = rows(new float[][] {{30, -30, 30, 0}, {ln3, -ln3, (float) Math.log(9), 0}});
    float[] logPxz = LogLikelihood.perRow(new BernoulliReconstructionDistribution(Activation.SIGMOID), x, logits);

    // Row 0: a confident wrong pixel costs its logit, log(1 − σ(30)) = log σ(−30) ≈ −30; a right one costs
    // log σ(30) ≈ −1e-13; a coin at 0.5 costs log 2.
    assertThat(logPxz[0]).as("saturated pixels, exact").isCloseTo((float) (-60 - Math.log(2)), within(1e-4f));
    // Row 1: σ(ln 3) = 3/4, σ(−ln 3) = 1/4, σ(ln 9) = 9/10, σ(0) = 1/2.
    double row1 = 0.25 * Math.log(0.75) + 0.75 * Math.log(0.25) + Math.log(0.25) + Math.log(0.1) + Math.log(0.5);
    assertThat(logPxz[1]).as("moderate logits").isCloseTo((float) row1, within(1e-5f));
    assertThat(x.getFloat(0, 0)).as("the inputs are left as they were").isZero();
    assertThat(logits.getFloat(0, 0)).isEqualTo(30f);
  }

  @Test
  void aGaussianIsItsDensity() {
    // x = (1, 2) under N((0, 2), diag(1, 4)): pre-activation [μ | log σ²].
    INDArray x = rows(new float[][] {{1, 2}});
    INDArray pre = rows(new float[][] {{0, 2, 0, (float) Math.log(4)}});
    float[] logPxz = LogLikelihood.perRow(new GaussianReconstructionDistribution(Activation.IDENTITY), x, pre);
    assertThat(logPxz[0]).isCloseTo((float) (-Math.log(2 * Math.PI) - 0.5 - Math.log(2)), within(1e-5f));
  }
}
