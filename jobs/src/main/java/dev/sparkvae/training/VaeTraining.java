package dev.sparkvae.training;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.typesafe.config.ConfigRenderOptions;
import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureStatistics;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.RowReader;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.FeatureScaling;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.nd4j.linalg.dataset.DataSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a VAE by parameter averaging on normalised frames ({@link FeatureFrames}): what the {@code train} job and
 * the Spark ML estimator share. The steps: hold out rows (the test frame, or a seeded hash of the id), check and
 * cache the rows, learn the {@link FeatureScaling} from the training rows, start or resume the network, run the
 * epochs (reshuffled minibatches, averaging rounds, the held-out negative ELBO, a checkpoint), then fold the scaling
 * into the network and record the anomaly threshold.
 *
 * <p>Every score is of the raw rows, in nats: the held-out −ELBO and the threshold are computed by the folded network,
 * the training −ELBO (the workers' score of the scaled rows) is shifted by the scaling's log-Jacobian. The same seed,
 * data and worker count give the same model. Danger: a non-finite loss stops training with a
 * {@link TrainingDivergedException} naming the epoch, the round, the last good checkpoint and a likely cause.
 */
public final class VaeTraining {
  private static final Logger LOG = LoggerFactory.getLogger(VaeTraining.class);
  private static final long HASH_BUCKETS = 1_000_000L;
  /** Settings a resumed run may change: they do not alter what the remaining epochs compute from a checkpoint. */
  private static final List<String> RESUMABLE_CHANGES = List.of("train.epochs", "train.learning-rate",
      "train.checkpoint-dir", "train.checkpoint-every-epochs", "train.checkpoints-kept", "train.eval-batch-size",
      "train.prefetch-batches");
  /** A feature range beyond which unscaled features are a likely cause of a divergence. */
  private static final double LARGE_RANGE = 100;

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
    TrainSettings train = recipe.train();
    Dataset<Row> trainFrame = inputs.input();
    Dataset<Row> testFrame = inputs.test();
    if (testFrame == null) {
      Column heldOut = pmod(xxhash64(FeatureFrames.idKey(trainFrame), lit(train.seed())), lit(HASH_BUCKETS))
          .lt(lit(Math.round(train.validationFraction() * HASH_BUCKETS)));
      testFrame = trainFrame.where(heldOut);
      trainFrame = trainFrame.where(heldOut.unary_$bang());
    }
    FeatureSchema schema = FeatureFrames.schemaOf(trainFrame, recipe.data(), inputs.inputName());
    DataSettings data = recipe.data();
    RowReader check = RowReader.of(trainFrame.schema(), FeatureFrames.ID, FeatureFrames.FEATURES,
        data.featureColumns().isEmpty() ? data.featuresColumn() : FeatureFrames.FEATURES, schema,
        recipe.vae().distribution());
    // A plot.image-shape that does not fit the features fails now, not after hours of training.
    recipe.plot().imageShape(schema.featureCount());
    int workers = train.workers() > 0 ? train.workers() : spark.sparkContext().defaultParallelism();
    spark.sparkContext().setJobDescription("train: validating " + inputs.inputName());
    JavaRDD<float[]> trainRows = Minibatches.balanced(Minibatches.rows(trainFrame, check, inputs.skipBad()), workers)
        .persist(StorageLevel.MEMORY_ONLY());
    JavaRDD<DataSet> testBatches = Minibatches.of(testFrame, check, inputs.skipBad(), train.evalBatchSize())
        .persist(StorageLevel.MEMORY_ONLY());
    try {
      long trainExamples = trainRows.count();
      long testExamples = testBatches.map(batch -> (long) batch.numExamples()).fold(0L, Long::sum);
      if (trainExamples == 0) {
        throw new IOException("Cannot train on " + inputs.inputName() + ": no training rows");
      }
      // Parquet counts come from the file footers: the rows read, exactly, without another pass over the data.
      long read = inputs.input().count() + (inputs.test() == null ? 0 : inputs.test().count());
      long bad = read - trainExamples - testExamples;
      if (bad > 0) {
        LOG.warn("train: {} of {} rows failed the checks and were left out", bad, read);
      }
      spark.sparkContext().setJobDescription("train: feature statistics");
      FeatureStatistics stats = Minibatches.statistics(trainRows, schema.featureCount());
      FeatureScaling scaling = FeatureScaling.fit(recipe.scalingMethod(), stats);
      LOG.info("train: {} training and {} held-out examples of {} features, scaling {}; {} workers, {}",
          trainExamples, testExamples, schema.featureCount(), scaling, workers, recipe.vae());
      Map<String, String> recipeKey = recipeKey(schema, scaling, workers);
      Optional<Checkpoints.Restored> restored = inputs.resume() && checkpoints != null
          ? checkpoints.newest(recipeKey) : Optional.empty();
      List<EpochMetrics> metrics = new ArrayList<>();
      MultiLayerNetwork net = startOrResume(restored, inputs.resume(), schema, metrics);
      VaePretrainingMaster master = VaePretrainingMaster.create(train, workers);
      SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(JavaSparkContext.fromSparkContext(spark.sparkContext()),
          net, master);
      List<RoundTimings> rounds = new ArrayList<>();
      for (int epoch = metrics.size() + 1; epoch <= train.epochs(); epoch++) {
        metrics.add(epoch(epoch, sparkNet, master, trainRows, testBatches, testExamples, trainExamples, scaling,
            stats, schema));
        if (checkpoints != null) {
          checkpoints.epochDone(epoch, train.epochs(), net, metrics, recipeKey);
        }
        rounds.add(master.lastRoundTimings());
      }
      MultiLayerNetwork served = scaling.foldInto(net);
      double quantile = 1 - train.falsePositiveRate();
      Double threshold = anomalyThreshold(testBatches, testExamples, served, train.falsePositiveRate());
      ModelInfo info = new ModelInfo(ModelInfo.FORMAT_VERSION, schema, recipe.vae(),
          JsonFiles.MAPPER.readTree(settings.toJson()), versions(), null, Instant.now().toString(), train.epochs(),
          trainExamples, quantile, threshold, scaling, null, RowScoring.ANOMALY_SCORE, testExamples);
      return new Trained(served, info, metrics, trainExamples, testExamples, bad, check, trainFrame, testFrame,
          restored.map(Checkpoints.Restored::epoch).orElse(0), rounds);
    } finally {
      trainRows.unpersist(false);
      testBatches.unpersist(false);
    }
  }

  /** The restored network with its metrics so far, or a fresh one. */
  private MultiLayerNetwork startOrResume(Optional<Checkpoints.Restored> restored, boolean resume,
      FeatureSchema schema, List<EpochMetrics> metrics) {
    if (restored.isPresent()) {
      MultiLayerNetwork net = restored.get().network();
      // The learning rate may change on resume (e.g. lower, after a divergence); the rest of the recipe may not.
      net.setLearningRate(recipe.train().learningRate());
      metrics.addAll(restored.get().metrics());
      LOG.info("train: resuming after epoch {} from {}", restored.get().epoch(), restored.get().path());
      return net;
    }
    if (resume) {
      LOG.info("train: no checkpoint{}: starting from the first epoch",
          checkpoints == null ? "s (none configured)" : " in " + checkpoints.dir());
    }
    return VaeNetworks.create(recipe.vae(), recipe.train(), schema.featureCount());
  }

  /** One epoch: reshuffled minibatches through the averaging rounds, then the held-out score. */
  private EpochMetrics epoch(int epoch, SparkDl4jMultiLayer sparkNet, VaePretrainingMaster master,
      JavaRDD<float[]> trainRows, JavaRDD<DataSet> testBatches, long testExamples, long trainExamples,
      FeatureScaling scaling, FeatureStatistics stats, FeatureSchema schema) throws IOException {
    TrainSettings train = recipe.train();
    MultiLayerNetwork net = sparkNet.getNetwork();
    master.setRoundListener((round, rounds, score) -> spark.sparkContext().setJobDescription(String.format(
        "train: epoch %d/%d, after round %d/%d", epoch, train.epochs(), round, rounds)));
    spark.sparkContext().setJobDescription(String.format("train: epoch %d/%d", epoch, train.epochs()));
    net.getLayerWiseConfigurations().setEpochCount(epoch - 1);
    long start = System.nanoTime();
    // Rows are reshuffled into new minibatches every epoch, as SGD expects.
    JavaRDD<DataSet> epochBatches = Minibatches.shuffled(trainRows, stats.featureCount(), train.batchSizePerWorker(),
        NoiseSeeds.of(train.seed(), -1, epoch), scaling);
    try {
      sparkNet.fit(epochBatches);
    } catch (TrainingDivergedException e) {
      String where = String.format("Training diverged in epoch %d of %d, ", epoch, train.epochs());
      throw new TrainingDivergedException(e.getMessage().replaceFirst("^Training diverged in ", where)
          + likelyCause(scaling, stats, schema) + "; " + (checkpoints == null ? "checkpoints are off"
              : checkpoints.newestPath().map(last -> "the last good checkpoint is " + last)
                  .orElse("there is no checkpoint yet")));
    } finally {
      epochBatches.unpersist(false);
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double trainElbo = master.takeRoundScores().stream().mapToDouble(Double::doubleValue).average()
        .orElse(Double.NaN) + scaling.logJacobian();
    spark.sparkContext().setJobDescription(String.format("train: epoch %d/%d, evaluation", epoch, train.epochs()));
    double testElbo = testExamples == 0 ? Double.NaN
        : NetworkScores.meanNegativeElbo(testBatches, scaling.foldInto(net), train.seed());
    LOG.info("train: epoch {}/{}: train -ELBO {}, held-out -ELBO {}, {} s ({} examples/s)", epoch, train.epochs(),
        String.format("%.3f", trainElbo), String.format("%.3f", testElbo), String.format("%.1f", seconds),
        Math.round(trainExamples / seconds));
    LOG.info("train: epoch {}/{} rounds: {}", epoch, train.epochs(), master.lastRoundTimings().summary());
    return new EpochMetrics(epoch, trainElbo, testElbo, seconds, trainExamples);
  }

  /**
   * The likely cause of a divergence: unscaled features of a large range when the statistics show them (a lower
   * learning rate would not help), else too large a learning rate.
   */
  private static String likelyCause(FeatureScaling scaling, FeatureStatistics stats, FeatureSchema schema) {
    int widest = stats.widestFeature();
    if (!scaling.isNone() || widest < 0 || stats.max(widest) - stats.min(widest) <= LARGE_RANGE) {
      return " (try a lower train.learning-rate)";
    }
    String feature = schema.featureColumns().isEmpty() ? "feature " + widest
        : "feature " + schema.featureColumns().get(widest);
    return String.format(Locale.ROOT, "; the features are not scaled (data.scaling = none) and %s ranges from %.6g "
        + "to %.6g: set data.scaling = standardize", feature, stats.min(widest), stats.max(widest));
  }

  /**
   * The (1 − {@code rate}) quantile of the held-out rows' anomaly scores under the served network, or null, with a
   * warning, when there are no held-out rows; warns when they are too few for the rate to be met closely.
   */
  private Double anomalyThreshold(JavaRDD<DataSet> heldOut, long rows, MultiLayerNetwork served, double rate) {
    if (rows == 0) {
      LOG.warn("train: no held-out rows, so no anomaly threshold: give --test or train.validation-fraction > 0, "
          + "or pass the threshold when scoring");
      return null;
    }
    if (rows < 10 / rate) {
      LOG.warn("train: the anomaly threshold comes from only {} held-out rows: the realised false-positive rate may "
          + "be far from {} (ten times 1 / rate, {} rows, would bring it close)", rows, rate, Math.round(10 / rate));
    }
    spark.sparkContext().setJobDescription("train: anomaly threshold");
    double threshold = NetworkScores.anomalyScoreQuantile(heldOut, served, 1 - rate, rows);
    LOG.info("train: anomaly threshold {} (flags {} of the {} held-out rows' anomaly scores)",
        String.format("%.3f", threshold), rate, rows);
    return threshold;
  }

  /** What a checkpoint must share with this run to be resumed: the settings of data, vae and train, and more. */
  private Map<String, String> recipeKey(FeatureSchema schema, FeatureScaling scaling, int workers) {
    Map<String, String> key = new TreeMap<>();
    for (String group : List.of("data", "vae", "train")) {
      settings.config().getConfig(group).entrySet().forEach(entry -> key.put(group + "." + entry.getKey(),
          entry.getValue().render(ConfigRenderOptions.concise())));
    }
    RESUMABLE_CHANGES.forEach(key::remove);
    key.put("workers", Integer.toString(workers));
    key.put("features", schema.describe());
    if (!scaling.isNone()) {
      // The statistics of the training rows: other rows would train another model.
      key.put("scaling", scaling.method() + " " + Integer.toHexString(Arrays.hashCode(scaling.shift()))
          + Integer.toHexString(Arrays.hashCode(scaling.scale())));
    }
    return key;
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
