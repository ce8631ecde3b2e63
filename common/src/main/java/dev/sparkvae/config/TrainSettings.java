package dev.sparkvae.config;

/**
 * How training runs (keys {@code train.*}; defaults in {@code conf/defaults.conf}).
 *
 * @param epochs passes over the training data
 * @param seed seeds parameter initialisation, the data split, the averaging splits and the sampling noise
 * @param updater adam | sgd | nesterovs | rmsprop | adagrad; its state is averaged across workers
 * @param learningRate step size of the updater for one worker
 * @param learningRateScaling how the workers' step size grows with their number W: sqrt (learningRate × √W) | none
 * @param l2 L2 weight penalty (0 = none)
 * @param batchSizePerWorker examples in one worker minibatch
 * @param averagingFrequency minibatches a worker fits between two averaging rounds; 0 = {@link #AUTO_ROUND_STEPS}
 *     divided by the workers, at least {@link #MIN_AUTO_ROUND_STEPS}
 * @param outerLearningRate α of the driver's step on each round's averaged update (1 with momentum 0 = the plain
 *     average); applied with two or more workers and {@link #MIN_OUTER_STEP_ROUNDS} rounds an epoch
 * @param outerMomentum β of the driver's Nesterov momentum on the averaged updates (0 = none); applied as α is
 * @param prefetchBatches minibatches a worker loads ahead
 * @param dataCache where the training rows and each epoch's minibatches are kept: auto | memory | spill
 * @param workers parallel workers; 0 means Spark's default parallelism
 * @param validationFraction share of rows held out by id hash when no test set is given
 * @param evalBatchSize rows per forward pass in evaluation
 * @param falsePositiveRate {@code anomaly.false-positive-rate}: the share of held-out rows above the anomaly
 *     threshold
 */
public record TrainSettings(int epochs, long seed, String updater, double learningRate, String learningRateScaling,
    double l2, int batchSizePerWorker, int averagingFrequency, double outerLearningRate, double outerMomentum,
    int prefetchBatches, String dataCache, int workers, double validationFraction, int evalBatchSize,
    double falsePositiveRate) {
  /** Minibatches per averaging round, summed over the workers, of {@code train.averaging-frequency = 0}. */
  public static final int AUTO_ROUND_STEPS = 64;
  /** The fewest minibatches per worker and round of {@code train.averaging-frequency = 0}. */
  public static final int MIN_AUTO_ROUND_STEPS = 8;
  /** The fewest averaging rounds per epoch that take the outer step: with fewer, momentum has too few to build on. */
  public static final int MIN_OUTER_STEP_ROUNDS = 4;

  /** Reads {@code train.*}. */
  public static TrainSettings from(Settings settings) {
    return new TrainSettings(
        settings.positiveInt("train.epochs"),
        settings.anyLong("train.seed"),
        settings.oneOf("train.updater", "adam", "sgd", "nesterovs", "rmsprop", "adagrad"),
        settings.positiveDouble("train.learning-rate"),
        settings.oneOf("train.learning-rate-scaling", "sqrt", "none"),
        settings.nonNegativeDouble("train.l2"),
        settings.positiveInt("train.batch-size-per-worker"),
        settings.nonNegativeInt("train.averaging-frequency"),
        settings.positiveDouble("train.outer-learning-rate"),
        momentum(settings),
        settings.nonNegativeInt("train.prefetch-batches"),
        settings.oneOf("train.data-cache", "auto", "memory", "spill"),
        settings.nonNegativeInt("train.workers"),
        settings.fraction("train.validation-fraction"),
        settings.positiveInt("train.eval-batch-size"),
        falsePositiveRate(settings));
  }

  /**
   * What {@code workers} workers train with: the learning rate scaled by {@code learningRateScaling}, the averaging
   * frequency 0 resolved ({@link #AUTO_ROUND_STEPS} minibatches per round across all workers, so that the rounds
   * per epoch do not fall as workers are added, and at least {@link #MIN_AUTO_ROUND_STEPS} per worker, below which
   * the outer step's rounds are too short to help), and for one worker the plain average, that is training as on
   * one machine: there is nothing to average.
   *
   * @param workers the number of workers, at least 1
   */
  public TrainSettings forWorkers(int workers) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be at least 1, not " + workers);
    }
    double rate = learningRateScaling.equals("sqrt") ? learningRate * Math.sqrt(workers) : learningRate;
    int frequency = averagingFrequency > 0 ? averagingFrequency
        : Math.max(MIN_AUTO_ROUND_STEPS, AUTO_ROUND_STEPS / workers);
    TrainSettings resolved = new TrainSettings(epochs, seed, updater, rate, "none", l2, batchSizePerWorker, frequency,
        outerLearningRate, outerMomentum, prefetchBatches, dataCache, workers, validationFraction, evalBatchSize,
        falsePositiveRate);
    return workers > 1 ? resolved : resolved.plainAverage();
  }

  /** {@link #workers}, or {@code defaultParallelism} when it is 0. */
  public int workersOr(int defaultParallelism) {
    return workers > 0 ? workers : defaultParallelism;
  }

  /**
   * These settings for epochs of {@code rounds} averaging rounds: the plain average below
   * {@link #MIN_OUTER_STEP_ROUNDS} (small data), where the outer step has measured worse than none.
   */
  public TrainSettings forRoundsPerEpoch(long rounds) {
    return rounds >= MIN_OUTER_STEP_ROUNDS ? this : plainAverage();
  }

  private TrainSettings plainAverage() {
    return new TrainSettings(epochs, seed, updater, learningRate, learningRateScaling, l2, batchSizePerWorker,
        averagingFrequency, 1, 0, prefetchBatches, dataCache, workers, validationFraction, evalBatchSize,
        falsePositiveRate);
  }

  /** Whether the driver steps on the averaged update rather than taking the plain average. */
  public boolean outerStep() {
    return outerLearningRate != 1 || outerMomentum != 0;
  }

  private static double momentum(Settings settings) {
    double momentum = settings.nonNegativeDouble("train.outer-momentum");
    if (momentum >= 1) {
      throw new InvalidSettingException("Cannot set train.outer-momentum to " + momentum + " (from "
          + settings.origin("train.outer-momentum") + "): the momentum must be at least 0 and below 1");
    }
    return momentum;
  }

  private static double falsePositiveRate(Settings settings) {
    double rate = settings.fraction("anomaly.false-positive-rate");
    if (rate == 0) {
      throw new InvalidSettingException("Cannot set anomaly.false-positive-rate to 0 (from "
          + settings.origin("anomaly.false-positive-rate") + "): the rate must be above 0 and below 1");
    }
    return rate;
  }
}
