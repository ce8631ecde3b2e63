package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.apache.spark.sql.Row;

/**
 * Checks of an {@code attribution} column against contributions the test derives itself, one per feature: each
 * listed feature's contribution matches its own, the list is sorted (largest first, ties by index), its values are
 * the K largest of all features' and, over all features, they add up to the anomaly score.
 */
public final class AttributionChecks {
  private AttributionChecks() {}

  /** The structs of a row's {@code attribution}. */
  public static List<Row> attribution(Row row) {
    return row.getList(row.fieldIndex("attribution"));
  }

  /**
   * The Bernoulli deviance of one feature, x log(x / p) + (1 − x) log((1 − x) / (1 − p)) with 0 log 0 = 0: its
   * −log p(x|z) less the binary entropy of x.
   */
  public static double bernoulli(double x, double p) {
    return (x > 0 ? x * Math.log(x / p) : 0) + (x < 1 ? (1 - x) * Math.log((1 - x) / (1 - p)) : 0);
  }

  /**
   * How far {@link #bernoulli} may be from the engine's figure from the logits, when p is the float mean: p's
   * rounding (half an ulp) times the slope |x / p − (1 − x) / (1 − p)|, and float rounding of the contribution.
   */
  public static double bernoulliTolerance(double x, float p, double contribution) {
    double slope = Math.abs(x / p - (1 - x) / (1 - p));
    return slope * Math.ulp(p) + 1e-6 * Math.abs(contribution) + 1e-6;
  }

  /**
   * Checks the attribution of {@code row}, K features long, against the row's features {@code x}, their expected
   * values {@code mean} (within 1e-5, relative above 1), their names ({@code names}; none: the field is null) and
   * each feature's contribution as the test derives it, within its tolerance; that the derived contributions add up
   * to {@code anomaly_score}, and so do the listed ones when they are all the features.
   *
   * @param contribution of feature f, derived by the test from x[f], mean[f] (and whatever else it needs)
   * @param tolerance of feature f
   */
  public static void check(Row row, float[] x, float[] mean, List<String> names, int k,
      IntToDoubleFunction contribution, IntToDoubleFunction tolerance) {
    List<Row> listed = attribution(row);
    assertThat(listed).hasSize(k);
    double[] all = new double[x.length];
    double sum = 0;
    for (int f = 0; f < x.length; f++) {
      all[f] = contribution.applyAsDouble(f);
      sum += all[f];
    }
    Arrays.sort(all);
    double listedSum = 0;
    for (int i = 0; i < k; i++) {
      Row feature = listed.get(i);
      int index = feature.getInt(feature.fieldIndex("index"));
      float value = feature.getFloat(feature.fieldIndex("contribution"));
      listedSum += value;
      assertThat(feature.getString(feature.fieldIndex("feature"))).isEqualTo(names.isEmpty() ? null
          : names.get(index));
      assertThat(feature.getFloat(feature.fieldIndex("value"))).as("value of feature %d", index).isEqualTo(x[index]);
      assertThat(feature.getFloat(feature.fieldIndex("expected"))).as("expected value of feature %d", index)
          .isCloseTo(mean[index], within(1e-5f * Math.max(1, Math.abs(mean[index]))));
      assertThat((double) value).as("contribution of feature %d", index)
          .isCloseTo(contribution.applyAsDouble(index), within(tolerance.applyAsDouble(index)));
      assertThat((double) value).as("place %d holds the %d-th largest contribution", i, i + 1)
          .isCloseTo(all[x.length - 1 - i], within(tolerance.applyAsDouble(index)));
      if (i > 0) {
        Row before = listed.get(i - 1);
        float previous = before.getFloat(before.fieldIndex("contribution"));
        assertThat(value).as("sorted, place %d", i).isLessThanOrEqualTo(previous);
        if (value == previous) {
          assertThat(index).as("a tie by index").isGreaterThan(before.getInt(before.fieldIndex("index")));
        }
      }
    }
    float score = row.getFloat(row.fieldIndex("anomaly_score"));
    assertThat(sum).as("the derived contributions add up to the anomaly score")
        .isCloseTo(score, within(1e-5 * Math.abs(score) + 1e-4));
    if (k == x.length) {
      assertThat(listedSum).as("all contributions add up to the anomaly score")
          .isCloseTo(score, within(1e-5 * Math.abs(score) + 1e-4));
    }
  }

  /** A row's float array column (numbers of any type). */
  public static float[] floats(Row row, String column) {
    List<Object> values = row.getList(row.fieldIndex(column));
    float[] floats = new float[values.size()];
    for (int i = 0; i < floats.length; i++) {
      floats[i] = ((Number) values.get(i)).floatValue();
    }
    return floats;
  }
}
