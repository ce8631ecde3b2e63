package dev.sparkvae.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.jobs.TestSpark;
import dev.sparkvae.model.TestNets;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.training.Minibatches.RowBatch;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HeldOutScoresTest {
  private static final int ROWS = 1000;

  private static RowBatch batch(long... ids) {
    return new RowBatch(ids, NoiseFreeVae.rows(ids.length).data().asFloat());
  }

  @Test
  void theHeldOutNegativeElboIsExactEvenOfPixelsDl4jCountsAsFree() throws Exception {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    JavaRDD<RowBatch> batches = jsc.parallelize(List.of(batch(1, 2, 3), batch(40)), 3);
    assertThat(HeldOutScores.meanNegativeElbo(batches, NoiseFreeVae.network()))
        .as("KL + 10 wrong pixels at 30 nats + 5 coins at log 2, over 4 rows in 3 partitions (one empty)")
        .isCloseTo(NoiseFreeVae.negativeElbo(), within(1e-4));
    assertThat(HeldOutScores.meanNegativeElbo(jsc.parallelize(List.<RowBatch>of(), 2), NoiseFreeVae.network()))
        .as("no rows").isNaN();
  }

  /**
   * For a false-positive rate r, train asks for the (1 − r) quantile of n held-out scores: the ⌈(1 − r)·n⌉-th
   * smallest, so that ⌊r·n⌋ rows score above it. Rank and count are computed here in decimal arithmetic from the
   * rate as written, the scores by scoring the same minibatches on the driver and sorting them. The rates include
   * some for which (1 − r)·n is just above an integer in double, e.g. (1 − 0.059)·1000 = 941.0000000000001.
   */
  @ParameterizedTest
  @ValueSource(strings = {"0.01", "0.059", "0.7"})
  void theThresholdIsTheExactQuantileAndFlagsTheRateOfTheRows(String rate) {
    MultiLayerNetwork net = TestNets.network(23);
    List<RowBatch> batches = new ArrayList<>();
    for (int start = 0; start < ROWS; start += 64) {
      int size = Math.min(64, ROWS - start);
      batches.add(new RowBatch(new long[size], TestNets.data(size, start).dup('c').data().asFloat()));
    }
    Nd4jScorer scorer = new Nd4jScorer(VaeMaths.of(net), 0, false, 0);
    List<Double> scores = new ArrayList<>();
    for (RowBatch batch : batches) {
      for (float score : scorer.score(batch.rows(), batch.count(), batch.ids()).anomalyScore()) {
        scores.add((double) score);
      }
    }
    scores.sort(null);
    JavaRDD<RowBatch> rdd = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext())
        .parallelize(batches, 3);

    double threshold = HeldOutScores.anomalyThreshold(rdd, ROWS, net, Double.parseDouble(rate));

    BigDecimal n = BigDecimal.valueOf(ROWS);
    int rank = BigDecimal.ONE.subtract(new BigDecimal(rate)).multiply(n).setScale(0, RoundingMode.CEILING)
        .intValueExact();
    long above = new BigDecimal(rate).multiply(n).setScale(0, RoundingMode.FLOOR).longValueExact();
    assertThat(threshold).as("the %d-th smallest of %d scores", rank, ROWS).isEqualTo(scores.get(rank - 1));
    assertThat(scores.stream().filter(score -> score > threshold).count()).as("rows above it").isEqualTo(above);
  }
}
