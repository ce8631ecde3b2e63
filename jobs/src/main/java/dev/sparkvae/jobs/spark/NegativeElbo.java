package dev.sparkvae.jobs.spark;

import dev.sparkvae.model.VaeModel;
import dev.sparkvae.model.NoiseSeeds;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;

/**
 * Mean negative ELBO per example of a network over minibatches, computed on the executors. The reparameterisation
 * noise is seeded from the run seed, the partition and the batch index: the same data gives the same value.
 */
public final class NegativeElbo {
  private NegativeElbo() {}

  /** Mean negative ELBO per example (nats); NaN for no examples. */
  public static double mean(JavaRDD<DataSet> batches, MultiLayerNetwork net, long seed) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(batches.context());
    Broadcast<String> conf = jsc.broadcast(net.getLayerWiseConfigurations().toJson());
    Broadcast<INDArray> params = jsc.broadcast(net.params().dup());
    try {
      Tuple2<Double, Long> total = batches
          .mapPartitions((Iterator<DataSet> it) -> List.of(partitionSum(it, conf.value(), params.value(), seed))
              .iterator())
          .reduce((a, b) -> new Tuple2<>(a._1() + b._1(), a._2() + b._2()));
      return total._2() == 0 ? Double.NaN : total._1() / total._2();
    } finally {
      conf.destroy();
      params.destroy();
    }
  }

  private static Tuple2<Double, Long> partitionSum(Iterator<DataSet> batches, String confJson, INDArray params,
      long seed) {
    if (!batches.hasNext()) {
      return new Tuple2<>(0.0, 0L);
    }
    MultiLayerNetwork net = new MultiLayerNetwork(MultiLayerConfiguration.fromJson(confJson));
    net.init(params, false);
    VaeModel model = VaeModel.of(net);
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    double sum = 0;
    long count = 0;
    for (int i = 0; batches.hasNext(); i++) {
      INDArray x = batches.next().getFeatures();
      Nd4j.getRandom().setSeed(NoiseSeeds.of(seed, partition, i));
      sum += model.negativeElbo(x).sumNumber().doubleValue();
      count += x.size(0);
    }
    return new Tuple2<>(sum, count);
  }
}
