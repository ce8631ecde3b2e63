package dev.sparkvae.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VaeSpecTest {
  @Test
  void multiplyAddsOfTheReferenceNetwork() {
    VaeSpec spec = new VaeSpec(new int[] {400}, new int[] {400}, 20, "relu", VaeSpec.BERNOULLI);
    assertThat(spec.encoderMultiplyAdds(784)).as("784x400 + 400x(20 means + 20 log-variances)")
        .isEqualTo(784 * 400 + 400 * 40);
    assertThat(spec.decoderMultiplyAdds(784)).isEqualTo(20 * 400 + 400 * 784);
    assertThat(spec.trainingMultiplyAdds(784)).as("forward, weight and input gradients, no input gradient of x")
        .isEqualTo(3L * (784 * 400 + 400 * 40 + 20 * 400 + 400 * 784) - 784 * 400);
  }

  @Test
  void aGaussianDecoderHasTwoOutputsPerFeature() {
    VaeSpec spec = new VaeSpec(new int[] {8, 6}, new int[] {5}, 3, "tanh", VaeSpec.GAUSSIAN);
    assertThat(spec.decoderMultiplyAdds(10)).isEqualTo(3 * 5 + 5 * 20);
    assertThat(spec.encoderMultiplyAdds(10)).isEqualTo(10 * 8 + 8 * 6 + 6 * 6);
  }
}
