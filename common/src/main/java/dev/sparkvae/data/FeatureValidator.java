package dev.sparkvae.data;

import dev.sparkvae.config.VaeSpec;
import java.io.Serializable;

/**
 * Checks one feature vector before it reaches the network (DL4J's VAE does no input validation): the length,
 * finiteness, and the support of the reconstruction distribution (Bernoulli needs values in [0,1]).
 */
public final class FeatureValidator implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int featureCount;
  private final boolean unitInterval;

  /** Checks vectors of {@code featureCount} values for a model with the given p(x|z). */
  public FeatureValidator(int featureCount, String distribution) {
    this.featureCount = featureCount;
    this.unitInterval = VaeSpec.BERNOULLI.equals(distribution);
  }

  /** The problem with {@code values}, or null when they are fine. */
  public String problem(float[] values) {
    if (values == null) {
      return "features are null";
    }
    if (values.length != featureCount) {
      return "has " + values.length + " features, expected " + featureCount;
    }
    for (int i = 0; i < values.length; i++) {
      float v = values[i];
      if (!Float.isFinite(v)) {
        return "value " + v + " at index " + i + " is not a finite number";
      }
      if (unitInterval && (v < 0f || v > 1f)) {
        return "value " + v + " at index " + i + " is outside [0, 1], the support of the Bernoulli distribution";
      }
    }
    return null;
  }
}
