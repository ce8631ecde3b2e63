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
    int bad = firstBadValue(buffer, offset);
    return bad < 0 ? null : "value " + buffer[offset + bad] + " at index " + bad + " " + rule(buffer[offset + bad]);
  }

  /** The index (from {@code offset}) of the first of {@code featureCount} values that breaks a rule, or -1. */
  public int firstBadValue(float[] buffer, int offset) {
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
    if (fine) {
      return -1;
    }
    int i = 0;
    while (rule(buffer[offset + i]) == null) {
      i++;
    }
    return i;
  }

  /** The rule {@code value} breaks, e.g. "is not a finite number"; null when it breaks none. */
  public String rule(float value) {
    if (!Float.isFinite(value)) {
      return "is not a finite number";
    }
    if (unitInterval && (value < 0f || value > 1f)) {
      return "is outside [0, 1], the support of the Bernoulli distribution";
    }
    return null;
  }
}
