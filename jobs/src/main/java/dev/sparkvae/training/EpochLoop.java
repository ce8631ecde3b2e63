package dev.sparkvae.training;

import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureStatistics;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.FeatureScaling;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.training.Minibatches.RowBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The epochs of one training run over cached rows: each reshuffles the training rows into new minibatches, fits
 * them through the averaging rounds ({@link VaePretrainingMaster}), scores the held-out rows
 * ({@link HeldOutScores}) and records the epoch (metrics.json, a checkpoint).
 *
 * <p>Every score is of the raw rows, in nats: the held-out negative ELBO is computed by the network with the
 * scaling folded in, the training one (the workers' score of the scaled rows) is shifted by the scaling's
 * log-Jacobian. Danger: a non-finite loss stops the run with a {@link TrainingDivergedException} naming the epoch,
 * the round, the last good checkpoint and a likely cause.
 */
final class EpochLoop {
  private static final Logger LOG = LoggerFactory.getLogger(EpochLoop.class);
  /** A feature range beyond which unscaled features are a likely cause of a divergence. */
  private static final double LARGE_RANGE = 100;

  /**
   * The checked rows, cached as {@code cache} says: the training rows in one partition per worker of
   * {@code trainPerWorker} rows, the held-out rows in batches with their ids.
   */
  record CachedRows(JavaRDD<float[]> train, long[] trainPerWorker, JavaRDD<RowBatch> heldOut, long heldOutCount,
      TrainingDataCache cache) {
    long trainCount() {
      return Arrays.stream(trainPerWorker).sum();
    }

    void unpersist() {
      train.unpersist(false);
      heldOut.unpersist(false);
    }
  }

  /** What the features are: their schema, their statistics over the training rows and the scaling learnt from them. */
  record Features(FeatureSchema schema, FeatureStatistics stats, FeatureScaling scaling) {}

  private final SparkContext context;
  private final TrainSettings train;
  private final CachedRows rows;
  private final Features features;
  private final Checkpoints checkpoints;
  private final Map<String, String> recipeKey;
  private final VaePretrainingMaster master;

  /**
   * @param checkpoints where checkpoints go, or null for none
   * @param recipeKey what the checkpoints record of the run ({@link Checkpoints#recipeKey})
   */
  EpochLoop(SparkContext context, TrainSettings train, int workers, CachedRows rows, Features features,
      Checkpoints checkpoints, Map<String, String> recipeKey) {
    this.context = context;
    this.train = forRounds(train, workers, rows.trainPerWorker());
    this.rows = rows;
    this.features = features;
    this.checkpoints = checkpoints;
    this.recipeKey = recipeKey;
    this.master = VaePretrainingMaster.create(this.train, workers);
  }

  /** {@code train} for the rounds an epoch of these rows makes, logged, with a warning for rounds too short. */
  private static TrainSettings forRounds(TrainSettings train, int workers, long[] rowsPerWorker) {
    int rounds = VaePretrainingMaster.roundCount(EpochMinibatches.count(rowsPerWorker, train.batchSizePerWorker()),
        workers, train.averagingFrequency());
    TrainSettings settled = train.forRoundsPerEpoch(rounds);
    String step = settled.outerStep() ? "outer step with momentum " + settled.outerMomentum() + " and learning rate "
        + settled.outerLearningRate() : train.outerStep() ? "plain average (too few rounds for the outer step)"
        : "plain average";
    LOG.info("train: {} workers: learning rate {}, averaging every {} minibatches ({} rounds per epoch), {}",
        workers, settled.learningRate(), settled.averagingFrequency(), rounds, step);
    if (settled.outerStep() && settled.averagingFrequency() < TrainSettings.MIN_AUTO_ROUND_STEPS) {
      LOG.warn("train: the outer step on rounds of {} minibatches, fewer than {}, has measured worse than the plain "
          + "average: set train.outer-momentum = 0 and train.outer-learning-rate = 1, or average less often",
          settled.averagingFrequency(), TrainSettings.MIN_AUTO_ROUND_STEPS);
    }
    return settled;
  }

  /**
   * Trains {@code net} from the epoch after the last of {@code metrics} to {@code train.epochs}, adding each epoch's
   * metrics.
   *
   * @return where the time of each epoch's averaging rounds went
   */
  List<RoundTimings> run(MultiLayerNetwork net, INDArray outerVelocity, List<EpochMetrics> metrics)
      throws IOException {
    master.setOuterVelocity(outerVelocity);
    SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(JavaSparkContext.fromSparkContext(context), net, master);
    List<RoundTimings> rounds = new ArrayList<>();
    for (int epoch = metrics.size() + 1; epoch <= train.epochs(); epoch++) {
      metrics.add(epoch(epoch, sparkNet));
      if (checkpoints != null) {
        checkpoints.epochDone(epoch, train.epochs(), net, master.outerVelocity(), metrics, recipeKey);
      }
      rounds.add(master.lastRoundTimings());
    }
    return rounds;
  }

  /** One epoch: reshuffled minibatches through the averaging rounds, then the held-out score. */
  private EpochMetrics epoch(int epoch, SparkDl4jMultiLayer sparkNet) throws IOException {
    MultiLayerNetwork net = sparkNet.getNetwork();
    master.setRoundListener((round, rounds, score) -> context.setJobDescription(String.format(
        "train: epoch %d/%d, after round %d/%d", epoch, train.epochs(), round, rounds)));
    context.setJobDescription(String.format("train: epoch %d/%d", epoch, train.epochs()));
    net.getLayerWiseConfigurations().setEpochCount(epoch - 1);
    long start = System.nanoTime();
    fit(epoch, sparkNet);
    double seconds = (System.nanoTime() - start) / 1e9;
    double trainElbo = master.takeRoundScores().stream().mapToDouble(Double::doubleValue).average()
        .orElse(Double.NaN) + features.scaling().logJacobian();
    context.setJobDescription(String.format("train: epoch %d/%d, evaluation", epoch, train.epochs()));
    double testElbo = rows.heldOutCount() == 0 ? Double.NaN
        : HeldOutScores.meanNegativeElbo(rows.heldOut(), features.scaling().foldInto(net));
    LOG.info("train: epoch {}/{}: train -ELBO {}, held-out -ELBO {}, {} s ({} examples/s)", epoch, train.epochs(),
        String.format("%.3f", trainElbo), String.format("%.3f", testElbo), String.format("%.1f", seconds),
        Math.round(rows.trainCount() / seconds));
    LOG.info("train: epoch {}/{} rounds: {}", epoch, train.epochs(), master.lastRoundTimings().summary());
    return new EpochMetrics(epoch, trainElbo, testElbo, seconds, rows.trainCount());
  }

  /** Fits the epoch's minibatches: the rows reshuffled into new ones every epoch, as SGD expects. */
  private void fit(int epoch, SparkDl4jMultiLayer sparkNet) throws IOException {
    long[] sizes = rows.trainPerWorker();
    int batchSize = train.batchSizePerWorker();
    EpochMinibatches epochBatches = rows.cache().minibatches(rows.train(), sizes, features.stats().featureCount(),
        batchSize, master.roundCount(EpochMinibatches.count(sizes, batchSize), sizes.length),
        NoiseSeeds.of(train.seed(), -1, epoch), features.scaling());
    try {
      master.fit(sparkNet, epochBatches);
    } catch (TrainingDivergedException e) {
      String where = String.format("Training diverged in epoch %d of %d, ", epoch, train.epochs());
      throw new TrainingDivergedException(e.getMessage().replaceFirst("^Training diverged in ", where)
          + likelyCause() + "; " + (checkpoints == null ? "checkpoints are off"
              : checkpoints.newestPath().map(last -> "the last good checkpoint is " + last)
                  .orElse("there is no checkpoint yet")));
    } finally {
      epochBatches.release();
    }
  }

  /**
   * The likely cause of a divergence: unscaled features of a large range when the statistics show them (a lower
   * learning rate would not help), else too large a learning rate.
   */
  private String likelyCause() {
    FeatureStatistics stats = features.stats();
    int widest = stats.widestFeature();
    if (!features.scaling().isNone() || widest < 0 || stats.max(widest) - stats.min(widest) <= LARGE_RANGE) {
      return " (try a lower train.learning-rate)";
    }
    FeatureSchema schema = features.schema();
    String feature = schema.featureColumns().isEmpty() ? "feature " + widest
        : "feature " + schema.featureColumns().get(widest);
    return String.format(Locale.ROOT, "; the features are not scaled (data.scaling = none) and %s ranges from %.6g "
        + "to %.6g: set data.scaling = standardize", feature, stats.min(widest), stats.max(widest));
  }
}
