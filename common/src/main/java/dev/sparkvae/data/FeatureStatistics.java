package dev.sparkvae.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Count, mean, spread, minimum and maximum of every feature over a set of rows, in double precision, mergeable:
 * one instance per partition, merged in partition order (Chan, Golub &amp; LeVeque's pairwise update of the sum of
 * squared deviations, which does not lose precision on features with a large mean).
 */
public final class FeatureStatistics implements Serializable {
  private static final long serialVersionUID = 1L;

  private long count;
  private final double[] mean;
  private final double[] squaredDeviations;
  private final double[] min;
  private final double[] max;

  /** No rows yet, of {@code featureCount} features. */
  public FeatureStatistics(int featureCount) {
    mean = new double[featureCount];
    squaredDeviations = new double[featureCount];
    min = new double[featureCount];
    max = new double[featureCount];
    Arrays.fill(min, Double.POSITIVE_INFINITY);
    Arrays.fill(max, Double.NEGATIVE_INFINITY);
  }

  /** Adds one row (Welford's update); returns this. */
  public FeatureStatistics add(float[] row) {
    count++;
    for (int i = 0; i < mean.length; i++) {
      double x = row[i];
      double delta = x - mean[i];
      mean[i] += delta / count;
      squaredDeviations[i] += delta * (x - mean[i]);
      min[i] = Math.min(min[i], x);
      max[i] = Math.max(max[i], x);
    }
    return this;
  }

  /** Adds the rows that {@code other} summarises; returns this. */
  public FeatureStatistics merge(FeatureStatistics other) {
    if (other.count == 0) {
      return this;
    }
    long total = count + other.count;
    for (int i = 0; i < mean.length; i++) {
      double delta = other.mean[i] - mean[i];
      mean[i] += delta * other.count / total;
      squaredDeviations[i] += other.squaredDeviations[i] + delta * delta * ((double) count * other.count / total);
      min[i] = Math.min(min[i], other.min[i]);
      max[i] = Math.max(max[i], other.max[i]);
    }
    count = total;
    return this;
  }

  public long count() {
    return count;
  }

  public int featureCount() {
    return mean.length;
  }

  public double mean(int feature) {
    return mean[feature];
  }

  /** The population standard deviation (divided by the count, as scikit-learn's StandardScaler); 0 for no rows. */
  public double standardDeviation(int feature) {
    return count == 0 ? 0 : Math.sqrt(squaredDeviations[feature] / count);
  }

  public double min(int feature) {
    return min[feature];
  }

  public double max(int feature) {
    return max[feature];
  }

  /** The feature with the widest range (max − min), or -1 for no rows. */
  public int widestFeature() {
    int widest = -1;
    for (int i = 0; i < mean.length && count > 0; i++) {
      if (widest < 0 || max[i] - min[i] > max[widest] - min[widest]) {
        widest = i;
      }
    }
    return widest;
  }
}
