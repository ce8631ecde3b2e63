package dev.sparkvae.training;

import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeMaths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Scores of the network being trained over cached minibatches, computed on the executors from a broadcast of its
 * configuration and parameters: the held-out negative ELBO after each epoch, and the training reconstruction
 * errors whose quantile becomes the model's anomaly threshold.
 */
public final class NetworkScores {
  private NetworkScores() {}

  /**
   * Mean negative ELBO per example (nats); NaN for no examples. Noise is seeded from {@code seed}, the partition
   * and the batch index: the same data gives the same value.
   */
  public static double meanNegativeElbo(JavaRDD<DataSet> batches, MultiLayerNetwork net, long seed) {
    Tuple2<Double, Long> total = withNetwork(batches, net, (model, partition, it) -> {
      double sum = 0;
      long count = 0;
      for (int i = 0; it.hasNext(); i++) {
        INDArray x = it.next().getFeatures();
        Nd4j.getRandom().setSeed(NoiseSeeds.of(seed, partition, i));
        sum += model.negativeElbo(x).sumNumber().doubleValue();
        count += x.size(0);
      }
      return List.of(new Tuple2<>(sum, count));
    }).reduce((a, b) -> new Tuple2<>(a._1() + b._1(), a._2() + b._2()));
    return total._2() == 0 ? Double.NaN : total._1() / total._2();
  }

  /**
   * The ⌈q·n⌉-th smallest of the {@code rows} anomaly scores of {@code batches} (the deviance at z = the latent mean,
   * see {@link dev.sparkvae.inference.BatchScorer}), q = {@code quantile}: at most (1 − q)·n of the rows score above it.
   * Exact; only the n − ⌈q·n⌉ + 1 highest scores reach the driver.
   *
   * @param rows the number of rows in {@code batches}, at least 1
   */
  public static double anomalyScoreQuantile(JavaRDD<DataSet> batches, MultiLayerNetwork net, double quantile,
      long rows) {
    JavaRDD<Double> scores = withNetwork(batches, net, (model, partition, it) -> {
      Nd4jScorer scorer = new Nd4jScorer(model, 0, false, 0);
      List<Double> values = new ArrayList<>();
      while (it.hasNext()) {
        INDArray x = it.next().getFeatures();
        for (float score : scorer.score(x, new long[(int) x.size(0)]).anomalyScore()) {
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
    List<T> score(VaeMaths model, int partition, Iterator<DataSet> batches);
  }

  private static <T> JavaRDD<T> withNetwork(JavaRDD<DataSet> batches, MultiLayerNetwork net,
      PartitionScore<T> score) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(batches.context());
    Broadcast<String> conf = jsc.broadcast(net.getLayerWiseConfigurations().toJson());
    Broadcast<INDArray> params = jsc.broadcast(net.params().dup());
    FlatMapFunction<Iterator<DataSet>, T> function = it -> {
      if (!it.hasNext()) {
        return List.<T>of().iterator();
      }
      MultiLayerNetwork copy = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(conf.value()));
      copy.init(params.value(), false);
      TaskContext task = TaskContext.get();
      return score.score(VaeMaths.of(copy), task == null ? 0 : task.partitionId(), it).iterator();
    };
    return batches.mapPartitions(function);
  }
}
