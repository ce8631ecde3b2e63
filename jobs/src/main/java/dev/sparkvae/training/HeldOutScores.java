package dev.sparkvae.training;

import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.training.Minibatches.RowBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The held-out scores of a network being trained, computed on the executors from a broadcast of its configuration
 * and parameters by the scorer of the scoring jobs ({@link Nd4jScorer}): the negative ELBO after each epoch, and the
 * anomaly scores whose quantile becomes the model's anomaly threshold. Each value is the one {@code evaluate} gives
 * for the network saved as a model, on the same rows.
 */
final class HeldOutScores {
  private static final Logger LOG = LoggerFactory.getLogger(HeldOutScores.class);

  private HeldOutScores() {}

  /**
   * Mean negative ELBO per row (nats) of {@code served} (a network that takes raw rows) over {@code batches}; NaN for
   * no rows. As in {@code evaluate}, a row's noise is seeded by its id and the checksum of the network's model.zip,
   * so the same network and rows give the same value.
   */
  static double meanNegativeElbo(JavaRDD<RowBatch> batches, MultiLayerNetwork served) throws IOException {
    long seed = BatchScorer.seedOf(ModelArtifact.sha256Of(served));
    List<double[]> totals = withNetwork(batches, served, (model, it) -> {
      Nd4jScorer scorer = new Nd4jScorer(model, 1, false, seed);
      double sum = 0;
      long rows = 0;
      while (it.hasNext()) {
        RowBatch batch = it.next();
        for (float negativeElbo : scorer.score(batch.rows(), batch.count(), batch.ids()).negativeElbo()) {
          sum += negativeElbo;
        }
        rows += batch.count();
      }
      return List.of(new double[] {sum, rows});
    }).collect();
    double sum = totals.stream().mapToDouble(total -> total[0]).sum();
    double rows = totals.stream().mapToDouble(total -> total[1]).sum();
    return rows == 0 ? Double.NaN : sum / rows;
  }

  /**
   * The anomaly threshold: the (1 − {@code rate}) quantile of the held-out rows' anomaly scores under the served
   * network; null, with a warning, when there are no held-out rows. Warns when they are too few for the rate to be
   * met closely.
   */
  static Double anomalyThreshold(JavaRDD<RowBatch> heldOut, long rows, MultiLayerNetwork served, double rate) {
    if (rows == 0) {
      LOG.warn("train: no held-out rows, so no anomaly threshold: give --test or train.validation-fraction > 0, "
          + "or pass the threshold when scoring");
      return null;
    }
    if (rows < 10 / rate) {
      LOG.warn("train: the anomaly threshold comes from only {} held-out rows: the realised false-positive rate may "
          + "be far from {} (ten times 1 / rate, {} rows, would bring it close)", rows, rate, Math.round(10 / rate));
    }
    heldOut.context().setJobDescription("train: anomaly threshold");
    double threshold = anomalyScoreQuantile(heldOut, served, 1 - rate, rows);
    LOG.info("train: anomaly threshold {} (flags {} of the {} held-out rows' anomaly scores)",
        String.format("%.3f", threshold), rate, rows);
    return threshold;
  }

  /**
   * The ⌈q·n⌉-th smallest of the {@code rows} anomaly scores of {@code batches} (the deviance at z = the latent mean,
   * see {@link BatchScorer}), q = {@code quantile}: at most (1 − q)·n of the rows score above it. Exact; only the
   * n − ⌈q·n⌉ + 1 highest scores reach the driver.
   *
   * @param rows the number of rows in {@code batches}, at least 1
   */
  private static double anomalyScoreQuantile(JavaRDD<RowBatch> batches, MultiLayerNetwork net, double quantile,
      long rows) {
    JavaRDD<Double> scores = withNetwork(batches, net, (model, it) -> {
      Nd4jScorer scorer = new Nd4jScorer(model, 0, false, 0);
      List<Double> values = new ArrayList<>();
      while (it.hasNext()) {
        RowBatch batch = it.next();
        for (float score : scorer.score(batch.rows(), batch.count(), batch.ids()).anomalyScore()) {
          values.add((double) score);
        }
      }
      return values;
    });
    long rank = rank(quantile, rows);
    List<Double> highest = scores.top(Math.toIntExact(rows - rank + 1));
    return highest.get(highest.size() - 1);
  }

  /**
   * ⌈q·n⌉, at least 1, where a q·n within rounding of an integer is that integer: q often comes as 1 − rate, and
   * (1 − 0.059)·1000 is 941.0000000000001 in double, whose ceiling would flag one row fewer than the rate asks.
   */
  private static long rank(double quantile, long rows) {
    double position = quantile * rows;
    double nearest = Math.rint(position);
    return Math.max(1, (long) (Math.abs(position - nearest) <= 1e-12 * position ? nearest : Math.ceil(position)));
  }

  /** What to compute in one partition with the network rebuilt there. */
  @FunctionalInterface
  private interface PartitionScore<T> extends java.io.Serializable {
    List<T> score(VaeMaths model, Iterator<RowBatch> batches);
  }

  private static <T> JavaRDD<T> withNetwork(JavaRDD<RowBatch> batches, MultiLayerNetwork net,
      PartitionScore<T> score) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(batches.context());
    Broadcast<String> conf = jsc.broadcast(net.getLayerWiseConfigurations().toJson());
    Broadcast<INDArray> params = jsc.broadcast(net.params().dup());
    FlatMapFunction<Iterator<RowBatch>, T> function = it -> {
      if (!it.hasNext()) {
        return List.<T>of().iterator();
      }
      MultiLayerNetwork copy = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.value()));
      copy.init(params.value(), false);
      return score.score(VaeMaths.of(copy), it).iterator();
    };
    return batches.mapPartitions(function);
  }
}
