package dev.sparkvae.config;

/**
 * How training runs (keys {@code train.*}; defaults in {@code conf/defaults.conf}).
 *
 * @param epochs passes over the training data
 * @param seed seeds parameter initialisation, the data split, the averaging splits and the sampling noise
 * @param updater adam | sgd | nesterovs | rmsprop | adagrad; its state is averaged across workers
 * @param learningRate step size of the updater
 * @param l2 L2 weight penalty (0 = none)
 * @param batchSizePerWorker examples in one worker minibatch
 * @param averagingFrequency minibatches a worker fits between two averaging rounds
 * @param outerLearningRate α of the driver's step on each round's averaged update (1 with momentum 0 = the plain
 *     average)
 * @param outerMomentum β of the driver's Nesterov momentum on the averaged updates (0 = none)
 * @param prefetchBatches minibatches a worker loads ahead
 * @param dataCache where the training rows and each epoch's minibatches are kept: auto | memory | spill
 * @param workers parallel workers; 0 means Spark's default parallelism
 * @param validationFraction share of rows held out by id hash when no test set is given
 * @param evalBatchSize rows per forward pass in evaluation
 * @param falsePositiveRate {@code anomaly.false-positive-rate}: the share of held-out rows above the anomaly
 *     threshold
 */
public record TrainSettings(int epochs, long seed, String updater, double learningRate, double l2,
    int batchSizePerWorker, int averagingFrequency, double outerLearningRate, double outerMomentum,
    int prefetchBatches, String dataCache, int workers, double validationFraction, int evalBatchSize,
    double falsePositiveRate) {

  /** Reads {@code train.*}. */
  public static TrainSettings from(Settings settings) {
    return new TrainSettings(
        settings.positiveInt("train.epochs"),
        settings.anyLong("train.seed"),
        settings.oneOf("train.updater", "adam", "sgd", "nesterovs", "rmsprop", "adagrad"),
        settings.positiveDouble("train.learning-rate"),
        settings.nonNegativeDouble("train.l2"),
        settings.positiveInt("train.batch-size-per-worker"),
        settings.positiveInt("train.averaging-frequency"),
        settings.positiveDouble("train.outer-learning-rate"),
        momentum(settings),
        settings.nonNegativeInt("train.prefetch-batches"),
        settings.oneOf("train.data-cache", "auto", "memory", "spill"),
        settings.nonNegativeInt("train.workers"),
        settings.fraction("train.validation-fraction"),
        settings.positiveInt("train.eval-batch-size"),
        falsePositiveRate(settings));
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
