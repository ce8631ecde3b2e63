package dev.sparkvae.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.model.LinearGaussianVae;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The scores of both engines against closed forms, on a linear-Gaussian VAE ({@link LinearGaussianVae}): its
 * marginal log p(x), the KL divergence of diagonal Gaussians and the Gaussian log-density, all computed here in
 * double from the model's matrices.
 */
class ClosedFormScoresTest {
  private static final int ROWS = 20;
  private static final LinearGaussianVae EXACT = LinearGaussianVae.example();

  private static float[] rows() {
    return EXACT.sample(ROWS, 5);
  }

  private static long[] ids() {
    long[] ids = new long[ROWS];
    for (int r = 0; r < ROWS; r++) {
      ids[r] = 31L * r + 3;
    }
    return ids;
  }

  private static BatchScorer.Scores score(String engine, LinearGaussianVae vae, int samples) {
    BatchScorer scorer = InferenceEngines.scorer(engine, vae.network(), 1, samples, false, 0, 17);
    try {
      return scorer.score(rows(), ROWS, ids());
    } finally {
      if (scorer instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  /**
   * With q(z|x) the exact posterior, every importance weight p(x|z)·p(z)/q(z|x) equals p(x), so the estimate is
   * log p(x) for any number of samples, up to float rounding (of the parameters, of log p(x|z), and of the result:
   * half an ulp of a float near 8 is 5e-7).
   */
  @ParameterizedTest
  @ValueSource(strings = {InferenceEngines.ND4J, InferenceEngines.ONNXRUNTIME})
  void logProbIsTheExactMarginalWhenQIsTheTruePosterior(String engine) {
    BatchScorer.Scores scores = score(engine, EXACT, 3);
    float[] rows = rows();
    for (int r = 0; r < ROWS; r++) {
      double expected = EXACT.logMarginal(EXACT.row(rows, r));
      assertThat((double) scores.logProb()[r]).as("log p(x) of row %d", r).isCloseTo(expected, within(2e-6));
    }
  }

  /**
   * With q(z|x) off the posterior (means shifted by 0.2, about half a posterior standard deviation, variances 1.6
   * times), the weights vary (their variance relative to p(x)² is about 0.4), and the mean of 10,000 of them is
   * within 0.03 nats of p(x): the estimate's standard deviation is about sqrt(0.4 / 10,000) = 0.007 nats, a single
   * weight's about 0.6.
   */
  @ParameterizedTest
  @ValueSource(strings = {InferenceEngines.ND4J, InferenceEngines.ONNXRUNTIME})
  void logProbConvergesToTheMarginalWhenQIsOffThePosterior(String engine) {
    LinearGaussianVae off = EXACT.withEncoderOff(0.2, 1.6);
    BatchScorer.Scores scores = score(engine, off, 10_000);
    float[] rows = rows();
    for (int r = 0; r < ROWS; r++) {
      double expected = off.logMarginal(EXACT.row(rows, r));
      assertThat((double) scores.logProb()[r]).as("log p(x) of row %d", r).isCloseTo(expected, within(0.03));
    }
  }

  /**
   * A decoder that ignores z makes −log p(x|z) the same at every z: the negative ELBO is then the closed-form
   * KL(q(z|x) ‖ N(0, I)) plus −log N(x; b, diag(σ²)), to float rounding (a few ulps).
   */
  @ParameterizedTest
  @ValueSource(strings = {InferenceEngines.ND4J, InferenceEngines.ONNXRUNTIME})
  void negativeElboIsTheClosedFormKlPlusTheReconstructionTerm(String engine) {
    LinearGaussianVae vae = EXACT.withUnrelatedEncoder().withDecoderIgnoringZ();
    BatchScorer.Scores scores = score(engine, vae, 1);
    float[] rows = rows();
    for (int r = 0; r < ROWS; r++) {
      double[] x = EXACT.row(rows, r);
      double expected = vae.klToPrior(x) - vae.logLikelihood(x, new double[vae.latentSize()]);
      assertThat((double) scores.negativeElbo()[r]).as("−ELBO of row %d", r)
          .isCloseTo(expected, within(5e-7 * Math.abs(expected)));
    }
  }
}
