package dev.sparkvae.training;

import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.runtime.FaultInjection;
import java.util.Collection;
import org.apache.spark.TaskContext;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.core.storage.StatsStorageRouterProvider;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.dataset.api.DataSet;

/**
 * A parameter-averaging worker that trains the VAE with {@link VaePretrainingStep} instead of
 * {@code MultiLayerNetwork.fit} (which needs an output layer; see deeplearning4j#6656).
 *
 * <p>One instance runs one partition of one averaging round. It reports the mean negative ELBO over the round's
 * minibatches as its score; the master averages those. Noise is seeded from the run seed, the partition and the
 * iteration, so a retried task repeats its work exactly. Where the time goes is added to a {@link WorkerClock}.
 *
 * <p>Each executor thread keeps the network of its last round of the same training run and refills it from the
 * round's broadcast (parameters, updater state, iteration and epoch counters) instead of building a new one from
 * the configuration every round, as dl4j-spark's worker does. This is safe because a thread runs one task at a
 * time and serialises the task's result (which holds the network's arrays) before it starts the next one; a task
 * that fails leaves nothing behind that the next refill does not overwrite.
 */
class VaePretrainingWorker extends ParameterAveragingTrainingWorker {
  private static final long serialVersionUID = 1L;

  /** The network each executor thread keeps between the rounds of one training run. */
  private static final ThreadLocal<KeptNetwork> KEPT = new ThreadLocal<>();

  private record KeptNetwork(String runId, MultiLayerNetwork network) {}

  private final Broadcast<NetBroadcastTuple> broadcast;
  private final String runId;
  private final long runSeed;
  private final WorkerClock clock;
  private double scoreSum;
  private long examples;
  private final long[] times = new long[WorkerClock.SIZE];
  private long taskStart;
  private long mark;

  VaePretrainingWorker(Broadcast<NetBroadcastTuple> broadcast, WorkerConfiguration configuration,
      Collection<TrainingHook> hooks, Collection<TrainingListener> listeners, StatsStorageRouterProvider router,
      String runId, long runSeed, WorkerClock clock) {
    super(broadcast, true, configuration, hooks, listeners, router);
    this.broadcast = broadcast;
    this.runId = runId;
    this.runSeed = runSeed;
    this.clock = clock;
  }

  @Override
  public MultiLayerNetwork getInitialModel() {
    taskStart = System.nanoTime();
    MultiLayerNetwork network = refillKeptNetwork();
    if (network == null) {
      network = super.getInitialModel();
      KEPT.set(new KeptNetwork(runId, network));
    } else {
      times[WorkerClock.REUSED_NETWORKS]++;
    }
    mark = System.nanoTime();
    times[WorkerClock.SETUP_NANOS] += mark - taskStart;
    return network;
  }

  /** This thread's network of this run with the broadcast state set into it, or null when it has none. */
  private MultiLayerNetwork refillKeptNetwork() {
    KeptNetwork kept = KEPT.get();
    if (kept == null || !kept.runId().equals(runId)) {
      return null;
    }
    NetBroadcastTuple state = broadcast.getValue();
    MultiLayerNetwork network = kept.network();
    network.setParams(state.getParameters());
    if (state.getUpdaterState() != null) {
      network.getUpdater().getStateViewArray().assign(state.getUpdaterState());
    }
    MultiLayerConfiguration configuration = network.getLayerWiseConfigurations();
    configuration.setIterationCount(state.getConfiguration().getIterationCount());
    configuration.setEpochCount(state.getConfiguration().getEpochCount());
    return network;
  }

  @Override
  public ParameterAveragingTrainingResult processMinibatch(DataSet dataSet, MultiLayerNetwork network,
      boolean isLast) {
    long stepStart = System.nanoTime();
    times[WorkerClock.DATA_NANOS] += stepStart - mark;
    TaskContext task = TaskContext.get();
    int partition = task == null ? 0 : task.partitionId();
    int iteration = network.getLayerWiseConfigurations().getIterationCount();
    FaultInjection.at("train", iteration);
    long n = dataSet.numExamples();
    double score = VaePretrainingStep.fit(network, dataSet.getFeatures(),
        NoiseSeeds.of(runSeed, partition, iteration));
    scoreSum += score * n;
    examples += n;
    mark = System.nanoTime();
    times[WorkerClock.COMPUTE_NANOS] += mark - stepStart;
    times[WorkerClock.MINIBATCHES]++;
    if (!isLast) {
      return null;
    }
    network.setScore(scoreSum / examples);
    ParameterAveragingTrainingResult result = getFinalResult(network);
    long end = System.nanoTime();
    times[WorkerClock.RESULT_NANOS] += end - mark;
    times[WorkerClock.TASK_NANOS] += end - taskStart;
    times[WorkerClock.SLOWEST_TASK_NANOS] = end - taskStart;
    times[WorkerClock.TASKS]++;
    times[WorkerClock.EXAMPLES] += examples;
    times[WorkerClock.MOST_MINIBATCHES] = times[WorkerClock.MINIBATCHES];
    if (clock != null) {
      clock.add(times);
    }
    return result;
  }
}
