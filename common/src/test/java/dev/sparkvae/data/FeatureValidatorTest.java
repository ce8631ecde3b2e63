package dev.sparkvae.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FeatureValidatorTest {
  private final FeatureValidator bernoulli = new FeatureValidator(3, "bernoulli");
  private final FeatureValidator gaussian = new FeatureValidator(3, "gaussian");

  @Test
  void acceptsGoodRows() {
    assertThat(bernoulli.problem(new float[] {0f, 0.5f, 1f})).isNull();
    assertThat(gaussian.problem(new float[] {-4f, 0.5f, 12f})).isNull();
  }

  @Test
  void namesEachProblem() {
    assertThat(bernoulli.problem(null)).isEqualTo("features are null");
    assertThat(bernoulli.problem(new float[] {0f, 1f})).isEqualTo("has 2 features, expected 3");
    assertThat(gaussian.problem(new float[] {0f, Float.NaN, 1f})).isEqualTo("value NaN at index 1 is not a finite number");
    assertThat(gaussian.problem(new float[] {0f, 1f, Float.NEGATIVE_INFINITY}))
        .isEqualTo("value -Infinity at index 2 is not a finite number");
    assertThat(bernoulli.problem(new float[] {0f, 1.5f, 1f}))
        .isEqualTo("value 1.5 at index 1 is outside [0, 1], the support of the Bernoulli distribution");
  }
}
