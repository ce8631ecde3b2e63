package dev.sparkvae.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.jobs.TestSpark;
import dev.sparkvae.training.Minibatches.RowBatch;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class HeldOutScoresTest {
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
}
