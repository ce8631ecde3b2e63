package dev.sparkvae.training;

import dev.sparkvae.model.TestNets;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link TestNets} VAE whose negative ELBO can be worked out by hand: every weight is 0, so q(z|x) and p(x|z) are
 * set by the biases alone and the sampled z does not matter, and ten of the row's twenty pixels are confidently
 * wrong (logit ±30), which DL4J's Bernoulli form counts as free.
 */
final class NoiseFreeVae {
  static final float[] MEAN = {0.5f, -1, 0, 2};
  static final float[] LOG_VARIANCE = {0, -1, 1, 0.5f};
  /** Logits of p(x|z): wrong (30 for a 0, −30 for a 1), right (30 for a 1), and a coin for 0.5. */
  static final float[] LOGITS = new float[TestNets.FEATURES];
  static final float[] ROW = new float[TestNets.FEATURES];

  static {
    for (int f = 0; f < 5; f++) {
      LOGITS[f] = 30;
      ROW[f] = 0;
      LOGITS[5 + f] = -30;
      ROW[5 + f] = 1;
      LOGITS[10 + f] = 30;
      ROW[10 + f] = 1;
      LOGITS[15 + f] = 0;
      ROW[15 + f] = 0.5f;
    }
  }

  private NoiseFreeVae() {}

  static MultiLayerNetwork network() {
    MultiLayerNetwork net = TestNets.network(1);
    net.params().assign(0);
    Map<String, INDArray> params = net.getLayer(0).paramTable();
    params.get("pZXMeanb").assign(Nd4j.createFromArray(MEAN).reshape(1, MEAN.length));
    params.get("pZXLogStd2b").assign(Nd4j.createFromArray(LOG_VARIANCE).reshape(1, LOG_VARIANCE.length));
    params.get("pXZb").assign(Nd4j.createFromArray(LOGITS).reshape(1, LOGITS.length));
    return net;
  }

  /** {@code rows} copies of {@link #ROW}. */
  static INDArray rows(int rows) {
    float[][] values = new float[rows][];
    java.util.Arrays.fill(values, ROW);
    return Nd4j.createFromArray(values);
  }

  /**
   * The negative ELBO of {@link #ROW}: KL(N(MEAN, exp(LOG_VARIANCE)) ‖ N(0, I)) = ½ Σ (σ² + μ² − log σ² − 1), plus
   * −log p(x|z): 30 for each of the ten wrong pixels, log 2 for each of the five coins, and log(1 + e^−30) ≈ 1e-13
   * for each right one.
   */
  static double negativeElbo() {
    double kl = 0;
    for (int j = 0; j < MEAN.length; j++) {
      kl += 0.5 * (Math.exp(LOG_VARIANCE[j]) + MEAN[j] * MEAN[j] - LOG_VARIANCE[j] - 1);
    }
    return kl + 10 * 30 + 5 * Math.log(2);
  }
}
