package dev.sparkvae.training;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureStatistics;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.rows.RowReader;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.FeatureScaling;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.scoring.RowScoring;
import dev.sparkvae.training.EpochLoop.CachedRows;
import dev.sparkvae.training.EpochLoop.Features;
import dev.sparkvae.training.Minibatches.RowBatch;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a VAE by parameter averaging on normalised frames ({@link FeatureFrames}): what the {@code train} job and
 * the Spark ML estimator share. The steps: hold out rows (the test frame, or a seeded hash of the id), check and
 * cache the rows, learn the {@link FeatureScaling} from the training rows, start or resume the network, run the
 * epochs (reshuffled minibatches, averaging rounds, the held-out negative ELBO, a checkpoint), then fold the scaling
 * into the network and record the anomaly threshold.
 *
 * <p>Every score is of the raw rows, in nats, and every negative ELBO is the scoring jobs' (KL in closed form plus
 * the exact −log p(x|z) at one sampled z, {@link dev.sparkvae.model.LogLikelihood}): the held-out one is what
 * {@code evaluate} reports for the network of that epoch saved as a model, on the same rows ({@link HeldOutScores});
 * the training one is the mean of the workers' minibatch scores ({@link VaePretrainingStep}). The same seed, data
 * and worker count give the same model and the same figures. Danger: a non-finite loss stops training with a
 * {@link TrainingDivergedException} naming the epoch, the round, the last good checkpoint and a likely cause.
 */
public final class VaeTraining {
  private static final Logger LOG = LoggerFactory.getLogger(VaeTraining.class);
  private static final long HASH_BUCKETS = 1_000_000L;

  /** The typed settings of a training run; {@link #from} validates them all. */
  public record Recipe(DataSettings data, VaeSpec vae, TrainSettings train, PlotSettings plot) {
    /** @throws InvalidSettingException for an invalid setting */
    public static Recipe from(Settings settings) {
      return new Recipe(DataSettings.from(settings), VaeSpec.from(settings), TrainSettings.from(settings),
          PlotSettings.from(settings));
    }

    /**
     * The scaling method {@code data.scaling} means for this p(x|z).
     *
     * @throws InvalidSettingException for a scaling that the distribution cannot take
     */
    public String scalingMethod() {
      try {
        return FeatureScaling.resolve(data.scaling(), vae.distribution());
      } catch (IllegalArgumentException e) {
        throw new InvalidSettingException(e.getMessage());
      }
    }
  }

  /**
   * What to train on.
   *
   * @param input the normalised rows
   * @param inputName the input, for messages (e.g. "input PATH")
   * @param test normalised held-out rows, or null to hold out {@code train.validation-fraction} of the input
   * @param skipBad leave out rows that fail the checks (counted) instead of failing
   * @param resume continue from the newest valid checkpoint (from scratch when there is none)
   */
  public record Inputs(Dataset<Row> input, String inputName, Dataset<Row> test, boolean skipBad, boolean resume) {}

  /**
   * A trained model.
   *
   * @param network the network that takes raw rows (the scaling folded in)
   * @param info what model.json records, without the checksum of model.zip
   * @param check the reader and checks of the rows, for plots and quarantine
   * @param trainFrame the rows trained on
   * @param heldOutFrame the held-out rows
   * @param badRows input and test rows left out by the checks
   * @param resumedAfterEpoch the epoch of the checkpoint this run continued from; 0 when it started afresh
   * @param rounds where the time of each epoch's averaging rounds went, one entry per epoch run
   */
  public record Trained(MultiLayerNetwork network, ModelInfo info, List<EpochMetrics> metrics, long trainExamples,
      long testExamples, long badRows, RowReader check, Dataset<Row> trainFrame, Dataset<Row> heldOutFrame,
      int resumedAfterEpoch, List<RoundTimings> rounds) {}

  private final SparkSession spark;
  private final Settings settings;
  private final Recipe recipe;
  private final Checkpoints checkpoints;

  /**
   * @param checkpoints where checkpoints go, or null for none
   * @throws InvalidSettingException when a setting is invalid, alone or with another
   */
  public VaeTraining(SparkSession spark, Settings settings, Checkpoints checkpoints) {
    this.spark = spark;
    this.settings = settings;
    this.recipe = Recipe.from(settings);
    recipe.scalingMethod();
    this.checkpoints = checkpoints;
  }

  public Recipe recipe() {
    return recipe;
  }

  /** Trains on {@code inputs}; see the class comment for the steps. */
  public Trained train(Inputs inputs) throws IOException {
    Split split = holdOut(inputs);
    FeatureSchema schema = FeatureFrames.schemaOf(split.train(), recipe.data(), inputs.inputName());
    RowReader check = rowReader(split.train(), schema);
    int workers = recipe.train().workersOr(spark.sparkContext().defaultParallelism());
    TrainSettings train = recipe.train().forWorkers(workers);
    long read = readCount(inputs);
    TrainingDataCache cache = TrainingDataCache.choose(train, read, schema.featureCount(), workers,
        spark.sparkContext());
    CachedRows rows = checkAndCache(split, check, inputs, workers, cache);
    try {
      long bad = badRows(read, rows);
      Features features = features(rows, schema, workers);
      Map<String, String> recipeKey = Checkpoints.recipeKey(settings, schema, features.scaling(), workers);
      Optional<Checkpoints.Restored> restored = inputs.resume() && checkpoints != null
          ? checkpoints.newest(recipeKey) : Optional.empty();
      List<EpochMetrics> metrics = new ArrayList<>();
      MultiLayerNetwork net = startOrResume(restored, inputs.resume(), schema, train, metrics);
      INDArray outerVelocity = restored.map(Checkpoints.Restored::outerVelocity).orElse(null);
      List<RoundTimings> rounds = new EpochLoop(spark.sparkContext(), train, workers, rows, features,
          checkpoints, recipeKey).run(net, outerVelocity, metrics);
      MultiLayerNetwork served = features.scaling().foldInto(net);
      return new Trained(served, modelInfo(features, rows, served), metrics, rows.trainCount(),
          rows.heldOutCount(), bad, check, split.train(), split.heldOut(),
          restored.map(Checkpoints.Restored::epoch).orElse(0), rounds);
    } finally {
      rows.unpersist();
    }
  }

  /** The rows trained on and the rows held out. */
  private record Split(Dataset<Row> train, Dataset<Row> heldOut) {}

  /** The test frame, or else the input's rows whose seeded id hash falls in {@code train.validation-fraction}. */
  private Split holdOut(Inputs inputs) {
    if (inputs.test() != null) {
      return new Split(inputs.input(), inputs.test());
    }
    TrainSettings train = recipe.train();
    Dataset<Row> input = inputs.input();
    Column heldOut = pmod(xxhash64(FeatureFrames.idKey(input), lit(train.seed())), lit(HASH_BUCKETS))
        .lt(lit(Math.round(train.validationFraction() * HASH_BUCKETS)));
    return new Split(input.where(heldOut.unary_$bang()), input.where(heldOut));
  }

  /** The reader and checks of the rows; fails now, not after hours of training, on a plot shape that cannot fit. */
  private RowReader rowReader(Dataset<Row> frame, FeatureSchema schema) {
    DataSettings data = recipe.data();
    RowReader check = RowReader.of(frame.schema(), FeatureFrames.ID, FeatureFrames.FEATURES,
        data.featureColumns().isEmpty() ? data.featuresColumn() : FeatureFrames.FEATURES, schema,
        recipe.vae().distribution());
    recipe.plot().imageShape(schema.featureCount());
    return check;
  }

  /**
   * Checks every row and caches the good ones as {@code cache} says, counted per partition.
   *
   * @throws IOException when no training row is left
   */
  private CachedRows checkAndCache(Split split, RowReader check, Inputs inputs, int workers, TrainingDataCache cache)
      throws IOException {
    spark.sparkContext().setJobDescription("train: validating " + inputs.inputName());
    JavaRDD<float[]> train = Minibatches.balanced(Minibatches.rows(split.train(), check, inputs.skipBad()), workers)
        .persist(cache.storageLevel());
    JavaRDD<RowBatch> heldOut = Minibatches.withIds(split.heldOut(), check, inputs.skipBad(),
        recipe.train().evalBatchSize()).persist(cache.storageLevel());
    try {
      long[] trainPerWorker = train.mapPartitions(it -> {
        long count = 0;
        for (; it.hasNext(); it.next()) {
          count++;
        }
        return List.of(count).iterator();
      }).collect().stream().mapToLong(Long::longValue).toArray();
      long heldOutCount = heldOut.map(batch -> (long) batch.count()).fold(0L, Long::sum);
      CachedRows rows = new CachedRows(train, trainPerWorker, heldOut, heldOutCount, cache);
      if (rows.trainCount() == 0) {
        throw new IOException("Cannot train on " + inputs.inputName() + ": no training rows");
      }
      return rows;
    } catch (IOException | RuntimeException e) {
      train.unpersist(false);
      heldOut.unpersist(false);
      throw e;
    }
  }

  /** The input and test rows read, before the checks. */
  private static long readCount(Inputs inputs) {
    // Parquet counts come from the file footers: the rows read, exactly, without another pass over the data.
    return inputs.input().count() + (inputs.test() == null ? 0 : inputs.test().count());
  }

  /** The rows of {@code read} that failed the checks, with a warning when there are any. */
  private static long badRows(long read, CachedRows rows) {
    long bad = read - rows.trainCount() - rows.heldOutCount();
    if (bad > 0) {
      LOG.warn("train: {} of {} rows failed the checks and were left out", bad, read);
    }
    return bad;
  }

  /** The statistics of the training rows and the {@link FeatureScaling} learnt from them. */
  private Features features(CachedRows rows, FeatureSchema schema, int workers) {
    spark.sparkContext().setJobDescription("train: feature statistics");
    FeatureStatistics stats = Minibatches.statistics(rows.train(), schema.featureCount());
    FeatureScaling scaling = FeatureScaling.fit(recipe.scalingMethod(), stats);
    LOG.info("train: {} training and {} held-out examples of {} features, scaling {}; {} workers, {}",
        rows.trainCount(), rows.heldOutCount(), schema.featureCount(), scaling, workers, recipe.vae());
    return new Features(schema, stats, scaling);
  }

  /** The restored network with its metrics so far, or a fresh one. */
  private MultiLayerNetwork startOrResume(Optional<Checkpoints.Restored> restored, boolean resume,
      FeatureSchema schema, TrainSettings train, List<EpochMetrics> metrics) {
    if (restored.isPresent()) {
      MultiLayerNetwork net = restored.get().network();
      // The learning rate may change on resume (e.g. lower, after a divergence); the rest of the recipe may not.
      net.setLearningRate(train.learningRate());
      metrics.addAll(restored.get().metrics());
      LOG.info("train: resuming after epoch {} from {}", restored.get().epoch(), restored.get().path());
      return net;
    }
    if (resume) {
      LOG.info("train: no checkpoint{}: starting from the first epoch",
          checkpoints == null ? "s (none configured)" : " in " + checkpoints.dir());
    }
    return VaeNetworks.create(recipe.vae(), train, schema.featureCount());
  }

  /** What model.json records of the served network, with the anomaly threshold of the held-out rows. */
  private ModelInfo modelInfo(Features features, CachedRows rows, MultiLayerNetwork served) throws IOException {
    TrainSettings train = recipe.train();
    Double threshold = HeldOutScores.anomalyThreshold(rows.heldOut(), rows.heldOutCount(), served,
        train.falsePositiveRate());
    return new ModelInfo(ModelInfo.FORMAT_VERSION, features.schema(), recipe.vae(),
        JsonFiles.MAPPER.readTree(settings.toJson()), versions(), null, Instant.now().toString(), train.epochs(),
        rows.trainCount(), 1 - train.falsePositiveRate(), threshold, features.scaling(), null,
        RowScoring.ANOMALY_SCORE, rows.heldOutCount());
  }

  /** Versions of the libraries that make models. */
  public static Map<String, String> versions() throws IOException {
    Properties properties = new Properties();
    try (InputStream in = VaeTraining.class.getResourceAsStream("/dev/sparkvae/versions.properties")) {
      if (in != null) {
        properties.load(in);
      }
    }
    Map<String, String> versions = new LinkedHashMap<>();
    properties.stringPropertyNames().stream().sorted().forEach(k -> versions.put(k, properties.getProperty(k)));
    versions.put("java", System.getProperty("java.version"));
    return versions;
  }
}
