package dev.sparkvae.train;

import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.run.FaultInjection;
import java.util.Collection;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.deeplearning4j.core.storage.StatsStorageRouterProvider;
import org.nd4j.linalg.dataset.api.DataSet;

/**
 * A parameter-averaging worker that trains the VAE with {@link VaePretrainingStep} instead of
 * {@code MultiLayerNetwork.fit} (which needs an output layer; see deeplearning4j#6656).
 *
 * <p>One instance runs one partition of one averaging round. It reports the mean negative ELBO over the round's
 * minibatches as its score; the master averages those. Noise is seeded from the run seed, the partition and the
 * iteration, so a retried task repeats its work exactly.
 */
public class VaePretrainingWorker extends ParameterAveragingTrainingWorker {
  private static final long serialVersionUID = 1L;

  private final long runSeed;
  private double scoreSum;
  private long examples;

  public VaePretrainingWorker(Broadcast<NetBroadcastTuple> broadcast, WorkerConfiguration configuration,
      Collection<TrainingHook> hooks, Collection<TrainingListener> listeners, StatsStorageRouterProvider router,
      long runSeed) {
    super(broadcast, true, configuration, hooks, listeners, router);
    this.runSeed = runSeed;
  }

  @Override
  public ParameterAveragingTrainingResult processMinibatch(DataSet dataSet, MultiLayerNetwork network,
      boolean isLast) {
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    int iteration = network.getLayerWiseConfigurations().getIterationCount();
    FaultInjection.at("train", iteration);
    long n = dataSet.numExamples();
    double score = VaePretrainingStep.fit(network, dataSet.getFeatures(),
        NoiseSeeds.of(runSeed, partition, iteration));
    scoreSum += score * n;
    examples += n;
    if (!isLast) {
      return null;
    }
    network.setScore(scoreSum / examples);
    return getFinalResult(network);
  }
}
