package dev.sparkvae.training;

import dev.sparkvae.config.TrainSettings;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaRDDLike;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

/**
 * dl4j-spark's {@link ParameterAveragingTrainingMaster} with {@link VaePretrainingWorker}s: each round broadcasts
 * the parameters and the updater state, every worker fits {@code averagingFrequency} minibatches of
 * {@code batchSizePerWorker} examples, and parameters and updater state are averaged; with an outer step
 * ({@code train.outer-learning-rate}, {@code train.outer-momentum}) the driver then moves the parameters from the
 * round's start along the average's update, with Nesterov momentum across rounds ({@link #outerVelocity()}, which a
 * checkpoint must carry for a resumed run to continue exactly).
 *
 * <p>The network's iteration counter advances by the steps each worker took in the round (the most any worker took;
 * equal shares take equally many), so that Adam's bias correction and the workers' noise seeds, both keyed by it,
 * follow the steps taken: no two steps of a worker share a seed.
 *
 * <p>This is the one class that knows dl4j-spark internals. It also records the score of every round, stops on a
 * non-finite score (divergence), releases each round's broadcast when the round is done and measures where the
 * rounds' time goes ({@link #lastRoundTimings()}). The training data is a {@code JavaRDD<DataSet>} of pre-batched
 * minibatches (the "direct" approach), never repartitioned (dl4j-spark's default repartitions the round's data
 * every round: three Spark jobs and a shuffle per round): either cached, in exactly one partition per worker with
 * equal numbers of minibatches (see {@code Minibatches.balanced} in the jobs), rounds taking their minibatches from
 * the cached partitions where they are; or laid out by round ({@link EpochMinibatches#spilled}), each round reading
 * only its own partitions.
 */
public class VaePretrainingMaster extends ParameterAveragingTrainingMaster {
  private static final long serialVersionUID = 1L;

  /**
   * How in-memory minibatches are cached (by their maker, not by this master). Deserialized: every round selects its
   * minibatches by scanning the cached partitions, and a serialized cache would deserialize the whole data set every
   * round.
   */
  public static final StorageLevel TRAINING_DATA_STORAGE = StorageLevel.MEMORY_ONLY();

  /** dl4j-spark's worker configuration value for "fit every minibatch of the task". */
  private static final int NO_MINIBATCH_CAP = 0;

  private final long runSeed;
  private final double outerLearningRate;
  private final double outerMomentum;
  private final boolean outerStep;
  /** The Nesterov velocity of the outer step, on the driver; null before the first round or without one. */
  private transient INDArray outerVelocity;
  private transient INDArray roundStartParams;
  /** Identifies this training run to the workers, which keep its network between rounds. */
  private final String runId = UUID.randomUUID().toString();
  private final List<Double> roundScores = new ArrayList<>();
  private transient Broadcast<NetBroadcastTuple> lastBroadcast;
  /** The epoch being fitted when it comes laid out by round; null otherwise. */
  private transient EpochMinibatches byRound;
  private transient RoundListener roundListener;
  private transient WorkerClock workerClock;
  private transient RoundTimings lastTimings;
  private transient int rounds;
  private transient int roundStartIteration;
  private transient long fitStart;
  private transient long lastMark;
  private transient long epochSetupNanos;
  private transient long prepareNanos;
  private transient long broadcastNanos;
  private transient long jobNanos;
  private transient long[] workerTotals;

  /** Called on the driver after every averaging round. */
  @FunctionalInterface
  public interface RoundListener {
    void roundDone(int round, int rounds, double score);
  }

  protected VaePretrainingMaster(Builder builder, TrainSettings settings) {
    super(builder);
    this.runSeed = settings.seed();
    this.outerLearningRate = settings.outerLearningRate();
    this.outerMomentum = settings.outerMomentum();
    this.outerStep = settings.outerStep();
  }

  /**
   * A master for {@code workers} workers (0 = Spark's default parallelism) with the given settings, which are taken
   * as they are: {@link TrainSettings#forWorkers} makes those of a worker count.
   */
  public static VaePretrainingMaster create(TrainSettings settings, int workers) {
    if (settings.averagingFrequency() < 1) {
      throw new IllegalArgumentException("averaging frequency " + settings.averagingFrequency()
          + ": resolve it for the workers first (TrainSettings.forWorkers)");
    }
    Builder builder = new Builder(workers > 0 ? workers : null, settings.batchSizePerWorker())
        .batchSizePerWorker(settings.batchSizePerWorker())
        .averagingFrequency(settings.averagingFrequency())
        .workerPrefetchNumBatches(settings.prefetchBatches())
        .saveUpdater(true)
        .rngSeed(settings.seed())
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        .repartionData(Repartition.Never)
        .storageLevel(null);
    return new VaePretrainingMaster(builder, settings);
  }

  /** Receives every round's score; null for none. */
  public void setRoundListener(RoundListener listener) {
    this.roundListener = listener;
  }

  /** Scores (mean negative ELBO per example) of the rounds since the last {@link #takeRoundScores()}. */
  public List<Double> takeRoundScores() {
    List<Double> scores = List.copyOf(roundScores);
    roundScores.clear();
    return scores;
  }

  /** The outer step's momentum (one value per parameter), or null before the first round or without one. */
  INDArray outerVelocity() {
    return outerVelocity;
  }

  /** Continues the outer step's momentum from a checkpoint; null to start without. */
  void setOuterVelocity(INDArray velocity) {
    outerVelocity = velocity;
  }

  /** Where the time of the last {@code fit} went; null before the first. */
  public RoundTimings lastRoundTimings() {
    return lastTimings;
  }

  /**
   * Fits one epoch's minibatches on {@code network}.
   *
   * @throws IllegalArgumentException when they come in another number of partitions than {@link #executeTraining}
   *     takes
   */
  void fit(SparkDl4jMultiLayer network, EpochMinibatches epoch) {
    byRound = epoch.byRound() ? epoch : null;
    try {
      network.fit(epoch.all());
    } finally {
      byRound = null;
    }
  }

  /**
   * The rounds of an epoch of {@code minibatches} over {@code workers}:
   * {@code max(1, minibatches / (workers × averagingFrequency))}, so each worker fits at least
   * {@code averagingFrequency} minibatches per round.
   */
  int roundCount(long minibatches, int workers) {
    return roundCount(minibatches, workers, averagingFrequency);
  }

  /** The rounds of an epoch of {@code minibatches} over {@code workers} averaging every {@code frequency}. */
  static int roundCount(long minibatches, int workers, int frequency) {
    return (int) Math.max(1, minibatches / ((long) workers * frequency));
  }

  /**
   * Trains on {@code trainingData} (one epoch): cached pre-batched minibatches in exactly one partition per worker,
   * or, from {@link #fit}, minibatches laid out by round (one partition per round and worker).
   *
   * @throws IllegalArgumentException when the data has another number of partitions
   */
  @Override
  public void executeTraining(SparkDl4jMultiLayer network, JavaRDD<DataSet> trainingData) {
    int workers = numWorkers != null ? numWorkers : network.getSparkContext().defaultParallelism();
    int partitions = byRound == null ? workers : byRound.roundCount() * workers;
    if (trainingData.getNumPartitions() != partitions) {
      throw new IllegalArgumentException(String.format("The training minibatches must come in %d partitions, %s, "
          + "not %d", partitions, byRound == null ? "one per worker" : "one per round and worker",
          trainingData.getNumPartitions()));
    }
    if (workerClock == null) {
      workerClock = new WorkerClock();
      network.getSparkContext().sc().register(workerClock, "spark-vae worker clock");
    }
    workerClock.reset();
    workerTotals = new long[WorkerClock.SIZE];
    rounds = 0;
    epochSetupNanos = prepareNanos = broadcastNanos = jobNanos = 0;
    fitStart = lastMark = System.nanoTime();
    super.executeTraining(network, trainingData);
    lastTimings = new RoundTimings(rounds, lastMark - fitStart, epochSetupNanos, prepareNanos, broadcastNanos,
        jobNanos, workerTotals);
  }

  /** The minibatches of the epoch: known without a pass over them when they are laid out by round. */
  @Override
  protected <T, R extends JavaRDDLike<T, R>> long getTotalDataSetObjectCount(JavaRDDLike<T, R> trainingData) {
    return byRound != null ? byRound.minibatchCount() : super.getTotalDataSetObjectCount(trainingData);
  }

  /**
   * The epoch's rounds ({@link #roundCount}): laid out by round, the epoch's own; else every worker's cached
   * minibatches dealt round robin into the rounds, so workers with equally many minibatches get equally many in
   * every round (none waits for another's extra minibatch). dl4j-spark deals them at random with a different seed
   * per partition, so the extra minibatches of uneven rounds fall to different workers in different rounds.
   * Deterministic, and no random state carried from epoch to epoch.
   */
  @Override
  protected <T> JavaRDD<T>[] getSplitRDDs(JavaRDD<T> trainingData, int totalDataSetObjectCount,
      int examplesPerDataSetObject) {
    int roundCount = byRound != null ? byRound.roundCount() : roundCount(totalDataSetObjectCount, numWorkers);
    @SuppressWarnings("unchecked") // Java has no generic array creation; the array only ever holds JavaRDD<T>
    JavaRDD<T>[] splits = (JavaRDD<T>[]) new JavaRDD<?>[roundCount];
    for (int round = 0; round < roundCount; round++) {
      @SuppressWarnings("unchecked") // laid out by round, T is DataSet: the epoch's minibatches are the data
      JavaRDD<T> split = byRound != null ? (JavaRDD<T>) byRound.round(round)
          : trainingData.mapPartitions(new RoundShare<>(round, roundCount), true);
      splits[round] = split;
    }
    return splits;
  }

  /** The minibatches of a partition whose position modulo the number of rounds is the round. */
  private static final class RoundShare<T> implements FlatMapFunction<Iterator<T>, T> {
    private static final long serialVersionUID = 1L;
    private final int round;
    private final int rounds;

    RoundShare(int round, int rounds) {
      this.round = round;
      this.rounds = rounds;
    }

    @Override
    public Iterator<T> call(Iterator<T> minibatches) {
      List<T> share = new ArrayList<>();
      for (int i = 0; minibatches.hasNext(); i++) {
        T minibatch = minibatches.next();
        if (i % rounds == round) {
          share.add(minibatch);
        }
      }
      return share.iterator();
    }
  }

  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkDl4jMultiLayer network) {
    long start = System.nanoTime();
    if (rounds == 0) {
      epochSetupNanos += start - lastMark;
    } else {
      prepareNanos += start - lastMark;
    }
    MultiLayerNetwork net = network.getNetwork();
    roundStartIteration = net.getLayerWiseConfigurations().getIterationCount();
    roundStartParams = outerStep ? net.params().dup() : null;
    NetBroadcastTuple tuple = new NetBroadcastTuple(net.getLayerWiseConfigurations(), net.params(),
        net.getUpdater().getStateViewArray());
    lastBroadcast = network.getSparkContext().broadcast(tuple);
    // No cap on the minibatches of a task: dl4j-spark caps them at averagingFrequency, but when a partition's
    // minibatches do not divide evenly into the rounds some rounds hand a worker one more, which the cap would skip.
    WorkerConfiguration configuration = new WorkerConfiguration(false, rddDataSetNumExamples, batchSizePerWorker,
        NO_MINIBATCH_CAP, prefetchNumBatches, collectTrainingStats);
    VaePretrainingWorker worker = new VaePretrainingWorker(lastBroadcast, configuration, trainingHookList, listeners,
        getRouterProvider(), runId, runSeed, workerClock);
    lastMark = System.nanoTime();
    broadcastNanos += lastMark - start;
    return worker;
  }

  /**
   * The outer step on the round's averaged update Δ = θ_average − θ_start: v = β·v + Δ, then
   * θ = θ_start + α·(Δ + β·v) (Nesterov momentum on the rounds' updates). The updater state stays the average.
   */
  private void stepOnAverage(MultiLayerNetwork net) {
    INDArray delta = net.params().sub(roundStartParams);
    outerVelocity = outerVelocity == null ? delta.dup() : outerVelocity.muli(outerMomentum).addi(delta);
    net.setParams(roundStartParams.addi(delta.addi(outerVelocity.mul(outerMomentum)).muli(outerLearningRate)));
    roundStartParams = null;
  }

  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
    throw new UnsupportedOperationException("VAE pretraining runs on a MultiLayerNetwork, not a ComputationGraph");
  }

  @Override
  protected void processResults(SparkDl4jMultiLayer network, SparkComputationGraph graph,
      JavaRDD<ParameterAveragingTrainingResult> results, int splitNum, int totalSplits) {
    long start = System.nanoTime();
    super.processResults(network, graph, results, splitNum, totalSplits);
    if (roundStartParams != null) {
      stepOnAverage(network.getNetwork());
    }
    lastMark = System.nanoTime();
    jobNanos += lastMark - start;
    rounds++;
    long[] round = workerClock.value();
    workerClock.reset();
    // dl4j-spark advances the counter by averagingFrequency; a worker may have taken one step more.
    network.getNetwork().getLayerWiseConfigurations()
        .setIterationCount(roundStartIteration + (int) round[WorkerClock.MOST_MINIBATCHES]);
    for (int i = 0; i < round.length; i++) {
      workerTotals[i] += round[i];
    }
    if (lastBroadcast != null) {
      lastBroadcast.destroy();
      lastBroadcast = null;
    }
    double score = network.getScore();
    if (!Double.isFinite(score)) {
      throw new TrainingDivergedException(String.format(
          "Training diverged in round %d of %d: the negative ELBO is %s",
          splitNum, totalSplits, score));
    }
    roundScores.add(score);
    if (roundListener != null) {
      roundListener.roundDone(splitNum, totalSplits, score);
    }
  }
}
