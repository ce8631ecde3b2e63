package dev.sparkvae.config;

import java.util.Arrays;

/**
 * The shape of the VAE: an MLP encoder to a Gaussian q(z|x) with diagonal covariance, and an MLP decoder to
 * p(x|z) (Kingma &amp; Welling 2013, "Auto-Encoding Variational Bayes").
 *
 * @param encoderSizes hidden layer widths of the encoder, input side first
 * @param decoderSizes hidden layer widths of the decoder, latent side first
 * @param latentSize dimension of z
 * @param activation hidden activation (DL4J name, lower case)
 * @param distribution {@code bernoulli} (data in [0,1]) or {@code gaussian} (real-valued data)
 */
public record VaeSpec(int[] encoderSizes, int[] decoderSizes, int latentSize, String activation, String distribution) {
  public static final String BERNOULLI = "bernoulli";
  public static final String GAUSSIAN = "gaussian";

  /** Reads {@code vae.*}. */
  public static VaeSpec from(Settings settings) {
    return new VaeSpec(
        settings.positiveIntList("vae.encoder-sizes", false),
        settings.positiveIntList("vae.decoder-sizes", false),
        settings.positiveInt("vae.latent-size"),
        settings.oneOf("vae.activation", "relu", "leakyrelu", "tanh", "sigmoid", "elu", "softplus", "identity"),
        settings.oneOf("vae.distribution", BERNOULLI, GAUSSIAN));
  }

  /** Multiply-adds of the encoder for one row: input to the last hidden layer, then mean and log-variance heads. */
  public long encoderMultiplyAdds(int featureCount) {
    long total = 0;
    int in = featureCount;
    for (int size : encoderSizes) {
      total += (long) in * size;
      in = size;
    }
    return total + 2L * in * latentSize;
  }

  /** Multiply-adds of the decoder for one row: latent to the last hidden layer, then the p(x|z) parameters. */
  public long decoderMultiplyAdds(int featureCount) {
    long total = 0;
    int in = latentSize;
    for (int size : decoderSizes) {
      total += (long) in * size;
      in = size;
    }
    int outputs = GAUSSIAN.equals(distribution) ? 2 * featureCount : featureCount;
    return total + (long) in * outputs;
  }

  /**
   * Multiply-adds of one training step per row (one z sample): the forward pass, then per layer the weight
   * gradient and the input gradient, except the input gradient of the first layer, which nothing needs. Element-wise
   * work (activations, sampling, the loss) is left out: it is two orders of magnitude smaller.
   */
  public long trainingMultiplyAdds(int featureCount) {
    long forward = encoderMultiplyAdds(featureCount) + decoderMultiplyAdds(featureCount);
    return 3 * forward - (long) featureCount * encoderSizes[0];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VaeSpec other && Arrays.equals(encoderSizes, other.encoderSizes)
        && Arrays.equals(decoderSizes, other.decoderSizes) && latentSize == other.latentSize
        && activation.equals(other.activation) && distribution.equals(other.distribution);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(encoderSizes) + Arrays.hashCode(decoderSizes) + latentSize;
  }

  @Override
  public String toString() {
    return "VaeSpec[encoder=" + Arrays.toString(encoderSizes) + ", decoder=" + Arrays.toString(decoderSizes)
        + ", latent=" + latentSize + ", activation=" + activation + ", distribution=" + distribution + "]";
  }
}
