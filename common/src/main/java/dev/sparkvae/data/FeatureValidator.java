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
    return valueProblem(values, 0);
  }

  /**
   * The problem with the {@code featureCount} values of {@code buffer} from {@code offset} (a row packed into a
   * batch buffer), or null when they are fine. The length is the caller's to check.
   */
  public String valueProblem(float[] buffer, int offset) {
    // One branch-free pass over the row (NaN fails every comparison); the slow search only for a bad row.
    boolean fine = true;
    int end = offset + featureCount;
    if (unitInterval) {
      for (int i = offset; i < end; i++) {
        fine &= buffer[i] >= 0f & buffer[i] <= 1f;
      }
    } else {
      for (int i = offset; i < end; i++) {
        fine &= Math.abs(buffer[i]) <= Float.MAX_VALUE;
      }
    }
    return fine ? null : firstProblem(buffer, offset);
  }

  private String firstProblem(float[] buffer, int offset) {
    for (int i = 0; i < featureCount; i++) {
      float v = buffer[offset + i];
      if (!Float.isFinite(v)) {
        return "value " + v + " at index " + i + " is not a finite number";
      }
      if (unitInterval && (v < 0f || v > 1f)) {
        return "value " + v + " at index " + i + " is outside [0, 1], the support of the Bernoulli distribution";
      }
    }
    throw new IllegalStateException("no problem found in a row that failed the check");
  }
}
