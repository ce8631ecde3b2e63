package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureValidator;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.jobs.spark.FeatureFrames;
import dev.sparkvae.jobs.spark.Minibatches;
import dev.sparkvae.jobs.spark.NetworkScores;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.Json;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.train.RoundTimings;
import dev.sparkvae.train.VaePretrainingMaster;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.hadoop.conf.Configuration;
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
 * {@code train}: trains a VAE on Spark by parameter averaging and writes a model directory ({@link ModelArtifact}).
 *
 * <p>Input rows are validated once and cached in executor memory; every epoch shuffles them (seeded) into new
 * minibatches. After each epoch the held-out negative ELBO is computed on the executors: on {@code test} when
 * given, else on the {@code train.validation-fraction} of rows chosen by a seeded hash of the id (the same rows
 * every run). The same seed, data and worker count give the same model.
 *
 * <p>Dangers: the model directory is refused when it exists unless {@code overwrite} is set; a non-finite loss
 * stops training with {@link dev.sparkvae.train.TrainingDivergedException}.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);
  private static final long HASH_BUCKETS = 1_000_000L;

  /**
   * @param input training data (Parquet or CSV directory)
   * @param test held-out data, or null to split by {@code train.validation-fraction}
   * @param model model directory to write
   * @param overwrite replace an existing model directory
   */
  public record Options(String input, String test, String model, boolean overwrite) {}

  /**
   * What was trained and written.
   *
   * @param rounds where the time of each epoch's averaging rounds went, one entry per epoch
   */
  public record Result(ModelArtifact artifact, long trainExamples, long testExamples, List<RoundTimings> rounds) {
    public List<EpochMetrics> metrics() {
      return artifact.metrics();
    }
  }

  /** The typed settings of a training run; {@link #from} validates them all. */
  public record Recipe(DataSettings data, VaeSpec vae, TrainSettings train) {
    public static Recipe from(Settings settings) {
      return new Recipe(DataSettings.from(settings), VaeSpec.from(settings), TrainSettings.from(settings));
    }
  }

  private final SparkSession spark;
  private final Settings settings;
  private final Recipe recipe;
  private final Options options;

  /** @throws dev.sparkvae.config.InvalidSettingException when a setting is invalid */
  public TrainJob(SparkSession spark, Settings settings, Options options) {
    this.spark = spark;
    this.settings = settings;
    this.recipe = Recipe.from(settings);
    this.options = options;
  }

  public Result run() throws IOException {
    DataSettings data = recipe.data();
    VaeSpec spec = recipe.vae();
    TrainSettings train = recipe.train();
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    AtomicDirectory.checkWritable(options.model(), options.overwrite(), hadoopConf);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());

    Dataset<Row> trainFrame = FeatureFrames.read(spark, data, options.input(), List.of());
    Dataset<Row> testFrame;
    if (options.test() != null) {
      testFrame = FeatureFrames.read(spark, data, options.test(), List.of());
    } else {
      Column heldOut = pmod(xxhash64(col(FeatureFrames.ID), lit(train.seed())), lit(HASH_BUCKETS))
          .lt(lit(Math.round(train.validationFraction() * HASH_BUCKETS)));
      testFrame = trainFrame.where(heldOut);
      trainFrame = trainFrame.where(heldOut.unary_$bang());
    }
    FeatureSchema schema = FeatureFrames.schemaOf(trainFrame, data, options.input());
    FeatureValidator validator = new FeatureValidator(schema.featureCount(), spec.distribution());

    int workers = train.workers() > 0 ? train.workers() : jsc.defaultParallelism();
    spark.sparkContext().setJobDescription("train: validating " + options.input());
    JavaRDD<float[]> trainRows = Minibatches.balanced(Minibatches.rows(trainFrame, validator), workers)
        .persist(StorageLevel.MEMORY_ONLY());
    JavaRDD<DataSet> testBatches = Minibatches.of(testFrame, validator, schema.featureCount(),
        train.evalBatchSize()).persist(StorageLevel.MEMORY_ONLY());
    try {
      long trainExamples = trainRows.count();
      long testExamples = exampleCount(testBatches);
      if (trainExamples == 0) {
        throw new IOException("Cannot train on " + options.input() + ": no training rows");
      }
      LOG.info("train: {} training and {} held-out examples of {} features; {} workers, {}", trainExamples,
          testExamples, schema.featureCount(), workers, spec);

      MultiLayerNetwork net = VaeNetworks.create(spec, train, schema.featureCount());
      VaePretrainingMaster master = VaePretrainingMaster.create(train, workers);
      SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(jsc, net, master);
      List<EpochMetrics> metrics = new ArrayList<>();
      List<RoundTimings> roundTimings = new ArrayList<>();
      for (int epoch = 1; epoch <= train.epochs(); epoch++) {
        int shownEpoch = epoch;
        master.setRoundListener((round, rounds, score) -> spark.sparkContext().setJobDescription(String.format(
            "train: epoch %d/%d, after round %d/%d", shownEpoch, train.epochs(), round, rounds)));
        spark.sparkContext().setJobDescription(String.format("train: epoch %d/%d", epoch, train.epochs()));
        net.getLayerWiseConfigurations().setEpochCount(epoch - 1);
        long start = System.nanoTime();
        // Rows are reshuffled into new minibatches every epoch, as SGD expects.
        JavaRDD<DataSet> epochBatches = Minibatches.shuffled(trainRows, schema.featureCount(),
            train.batchSizePerWorker(), NoiseSeeds.of(train.seed(), -1, epoch));
        sparkNet.fit(epochBatches);
        epochBatches.unpersist(false);
        double seconds = (System.nanoTime() - start) / 1e9;
        double trainElbo = master.takeRoundScores().stream().mapToDouble(Double::doubleValue).average()
            .orElse(Double.NaN);
        spark.sparkContext().setJobDescription(String.format("train: epoch %d/%d, evaluation", epoch,
            train.epochs()));
        double testElbo = testExamples == 0 ? Double.NaN
            : NetworkScores.meanNegativeElbo(testBatches, net, train.seed());
        metrics.add(new EpochMetrics(epoch, trainElbo, testElbo, seconds, trainExamples));
        LOG.info("train: epoch {}/{}: train -ELBO {}, held-out -ELBO {}, {} s ({} examples/s)", epoch,
            train.epochs(), String.format("%.3f", trainElbo), String.format("%.3f", testElbo),
            String.format("%.1f", seconds), Math.round(trainExamples / seconds));
        roundTimings.add(master.lastRoundTimings());
        LOG.info("train: epoch {}/{} rounds: {}", epoch, train.epochs(), master.lastRoundTimings().summary());
      }
      spark.sparkContext().setJobDescription("train: anomaly threshold");
      double threshold = NetworkScores.reconstructionErrorQuantile(
          Minibatches.batches(trainRows, schema.featureCount(), train.evalBatchSize()), net, train.anomalyQuantile());
      LOG.info("train: anomaly threshold {} nats (quantile {} of training reconstruction errors)",
          String.format("%.3f", threshold), train.anomalyQuantile());
      ModelInfo info = new ModelInfo(ModelInfo.FORMAT_VERSION, schema, spec, settingsJson(), versions(), null,
          Instant.now().toString(), train.epochs(), trainExamples, train.anomalyQuantile(), threshold);
      ModelArtifact artifact = new ModelArtifact(info, net, metrics).save(options.model(), hadoopConf,
          options.overwrite());
      LOG.info("train: model written to {}", options.model());
      return new Result(artifact, trainExamples, testExamples, roundTimings);
    } finally {
      trainRows.unpersist(false);
      testBatches.unpersist(false);
    }
  }

  private static long exampleCount(JavaRDD<DataSet> batches) {
    return batches.map(batch -> (long) batch.numExamples()).fold(0L, Long::sum);
  }

  private JsonNode settingsJson() throws IOException {
    return Json.MAPPER.readTree(settings.toJson());
  }

  /** Versions of the libraries that made the model. */
  static Map<String, String> versions() throws IOException {
    Properties properties = new Properties();
    try (InputStream in = TrainJob.class.getResourceAsStream("/dev/sparkvae/versions.properties")) {
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
