package dev.sparkvae.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureStatistics;
import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.Nd4jScorer;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;

class FeatureScalingTest {
  private static final int FEATURES = 6;
  private static final VaeSpec GAUSSIAN = new VaeSpec(new int[] {16}, new int[] {16}, 3, "tanh", "gaussian");

  /** Rows whose features have very different means and spreads (like raw tabular units); feature 5 is constant. */
  private static float[][] rows(int count, long seed) {
    Random random = new Random(seed);
    double[] mean = {0.001, 1, -40, 2500, 0.3, 7};
    double[] spread = {0.0004, 2, 10, 900, 0.05, 0};
    float[][] rows = new float[count][FEATURES];
    for (float[] row : rows) {
      for (int i = 0; i < FEATURES; i++) {
        row[i] = (float) (mean[i] + spread[i] * random.nextGaussian());
      }
    }
    return rows;
  }

  @Test
  void statisticsMergedFromPartsEqualATwoPassComputation() {
    float[][] rows = rows(1000, 1);
    FeatureStatistics merged = new FeatureStatistics(FEATURES);
    for (int[] part : new int[][] {{0, 1}, {1, 400}, {400, 400}, {400, 1000}}) {
      FeatureStatistics stats = new FeatureStatistics(FEATURES);
      for (int r = part[0]; r < part[1]; r++) {
        stats.add(rows[r]);
      }
      merged.merge(stats);
    }
    assertThat(merged.count()).isEqualTo(1000);
    for (int i = 0; i < FEATURES; i++) {
      double sum = 0;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      for (float[] row : rows) {
        sum += row[i];
        min = Math.min(min, row[i]);
        max = Math.max(max, row[i]);
      }
      double mean = sum / rows.length;
      double squares = 0;
      for (float[] row : rows) {
        squares += (row[i] - mean) * (row[i] - mean);
      }
      double std = Math.sqrt(squares / rows.length);
      assertThat(merged.mean(i)).as("mean of feature %d", i).isCloseTo(mean, within(1e-12 * Math.abs(mean)));
      assertThat(merged.standardDeviation(i)).as("std of feature %d", i)
          .isCloseTo(std, within(1e-9 * std + 1e-12 * Math.abs(mean)));
      assertThat(merged.min(i)).isEqualTo(min);
      assertThat(merged.max(i)).isEqualTo(max);
    }
    assertThat(merged.widestFeature()).isEqualTo(3);
  }

  @Test
  void standardizeAndMinMaxTakeTheirStatisticsAndLeaveConstantFeaturesUndivided() {
    FeatureStatistics stats = new FeatureStatistics(2);
    stats.add(new float[] {1, 5}).add(new float[] {3, 5}).add(new float[] {8, 5});
    FeatureScaling standard = FeatureScaling.fit(FeatureScaling.STANDARDIZE, stats);
    assertThat(standard.shift()).containsExactly(4.0, 5.0);
    assertThat(standard.scale()[0]).isCloseTo(Math.sqrt((9 + 1 + 16) / 3.0), within(1e-12));
    assertThat(standard.scale()[1]).as("a constant feature is not divided by 0").isEqualTo(1.0);
    FeatureScaling minMax = FeatureScaling.fit(FeatureScaling.MIN_MAX, stats);
    assertThat(minMax.shift()).containsExactly(1.0, 5.0);
    assertThat(minMax.scale()).containsExactly(7.0, 1.0);
    float[] rows = {1, 5, 8, 5};
    minMax.apply(rows, 2);
    assertThat(rows).containsExactly(0f, 0f, 1f, 0f);
    assertThat(FeatureScaling.fit(FeatureScaling.NONE, stats).logJacobian()).isZero();
    assertThat(minMax.logJacobian()).isCloseTo(Math.log(7), within(1e-12));
  }

  @Test
  void autoStandardizesGaussianModelsAndBernoulliTakesNoScaling() {
    assertThat(FeatureScaling.resolve("auto", "gaussian")).isEqualTo("standardize");
    assertThat(FeatureScaling.resolve("auto", "bernoulli")).isEqualTo("none");
    assertThat(FeatureScaling.resolve("min-max", "gaussian")).isEqualTo("min-max");
    assertThatThrownBy(() -> FeatureScaling.resolve("standardize", "bernoulli"))
        .hasMessage("Cannot use data.scaling = standardize with vae.distribution = bernoulli: a Bernoulli p(x|z) "
            + "models data in [0, 1] as given; use none, or a gaussian model");
  }

  @Test
  void theFoldedNetworkOnRawRowsIsTheTrainedNetworkOnScaledRowsInRawUnits() {
    float[][] raw = rows(64, 2);
    FeatureStatistics stats = new FeatureStatistics(FEATURES);
    for (float[] row : raw) {
      stats.add(row);
    }
    FeatureScaling scaling = FeatureScaling.fit(FeatureScaling.STANDARDIZE, stats);
    MultiLayerNetwork trained = VaeNetworks.create(GAUSSIAN, TestNets.train(5), FEATURES);
    MultiLayerNetwork folded = scaling.foldInto(trained);
    float[] rawRows = new float[64 * FEATURES];
    for (int r = 0; r < 64; r++) {
      System.arraycopy(raw[r], 0, rawRows, r * FEATURES, FEATURES);
    }
    float[] scaledRows = rawRows.clone();
    scaling.apply(scaledRows, 64);
    long[] ids = new long[64];
    for (int r = 0; r < 64; r++) {
      ids[r] = r;
    }
    BatchScorer.Scores onRaw = new Nd4jScorer(VaeMaths.of(folded), 4, true, 9).score(rawRows, 64, ids);
    BatchScorer.Scores onScaled = new Nd4jScorer(VaeMaths.of(trained), 4, true, 9).score(scaledRows, 64, ids);
    double logJacobian = scaling.logJacobian();
    for (int i = 0; i < onRaw.joint().length; i++) {
      assertThat(onRaw.joint()[i]).as("q(z|x) of the raw row").isCloseTo(onScaled.joint()[i], within(2e-5f));
    }
    for (int r = 0; r < 64; r++) {
      // log p(x) = log p(x') - sum log scale: the density of the raw row.
      assertThat((double) onRaw.reconstructionError()[r]).as("reconstruction error, row %d", r)
          .isCloseTo(onScaled.reconstructionError()[r] + logJacobian, within(1e-3));
      assertThat((double) onRaw.logProb()[r]).isCloseTo(onScaled.logProb()[r] - logJacobian, within(1e-3));
      for (int i = 0; i < FEATURES; i++) {
        double expected = onScaled.reconstruction()[r * FEATURES + i] * scaling.scale()[i] + scaling.shift()[i];
        assertThat((double) onRaw.reconstruction()[r * FEATURES + i]).as("reconstruction in raw units")
            .isCloseTo(expected, within(2e-5 * scaling.scale()[i] + 1e-6 * Math.abs(scaling.shift()[i])));
      }
    }
    assertThat(VaeMaths.of(trained).encodeJoint(org.nd4j.linalg.factory.Nd4j.create(raw)).getFloat(0, 0))
        .as("the trained network itself is unchanged").isNotCloseTo(onRaw.joint()[0], within(1e-3f));
  }

  @Test
  void aBernoulliNetworkCannotTakeAFold() {
    FeatureScaling scaling = new FeatureScaling(FeatureScaling.MIN_MAX, new double[TestNets.FEATURES],
        new double[TestNets.FEATURES]);
    assertThatThrownBy(() -> scaling.foldInto(TestNets.network(1)))
        .hasMessageStartingWith("Cannot fold feature scaling into p(x|z)");
    assertThat(FeatureScaling.none().foldInto(TestNets.network(1))).isNotNull();
  }
}
