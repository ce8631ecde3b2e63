package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigRenderOptions;
import dev.sparkvae.config.CheckpointSettings;
import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.jobs.spark.BadRows;
import dev.sparkvae.jobs.spark.FeatureFrames;
import dev.sparkvae.jobs.spark.FeatureRows;
import dev.sparkvae.jobs.spark.InputFiles;
import dev.sparkvae.jobs.spark.Minibatches;
import dev.sparkvae.jobs.spark.NetworkScores;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.Json;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.train.Checkpoints;
import dev.sparkvae.train.TrainingDivergedException;
import dev.sparkvae.train.RoundTimings;
import dev.sparkvae.train.VaePretrainingMaster;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
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
 * every run). The same seed, data and worker count give the same model. Unless {@code plot.enabled} is false, the
 * model directory gets the {@link PlotJob} plots in {@code plots/}, drawn from a sample of the held-out rows.
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
   * @param checks what to do with bad rows (skipped, or quarantined under the model's {@code _quarantine/input} and
   *     {@code _quarantine/test}), corrupt files and duplicate ids
   * @param resume continue from the newest valid checkpoint (from scratch when there is none)
   */
  public record Options(String input, String test, String model, boolean overwrite, InputChecks checks,
      boolean resume) {
    /** Options with the default {@link InputChecks} (a bad row fails the job), not resuming. */
    public Options(String input, String test, String model, boolean overwrite) {
      this(input, test, model, overwrite, InputChecks.DEFAULTS, false);
    }
  }

  /**
   * What was trained and written.
   *
   * @param counts rows read (input and test), used (trained on or held out), skipped, quarantined, duplicate ids
   * @param corruptFiles input files left out as corrupt, with the reason
   * @param resumedAfterEpoch the epoch of the checkpoint this run continued from; 0 when it started afresh
   * @param rounds where the time of each epoch's averaging rounds went, one entry per epoch run
   */
  public record Result(ModelArtifact artifact, long trainExamples, long testExamples, RowCounts counts,
      Map<String, String> corruptFiles, int resumedAfterEpoch, List<RoundTimings> rounds) {
    public List<EpochMetrics> metrics() {
      return artifact.metrics();
    }
  }

  /** The typed settings of a training run; {@link #from} validates them all. */
  public record Recipe(DataSettings data, VaeSpec vae, TrainSettings train, PlotSettings plot) {
    public static Recipe from(Settings settings) {
      return new Recipe(DataSettings.from(settings), VaeSpec.from(settings), TrainSettings.from(settings),
          PlotSettings.from(settings));
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
    CheckpointSettings checkpointing = CheckpointSettings.from(settings);
    Checkpoints checkpoints = new Checkpoints(checkpointing.dirFor(options.model()), checkpointing.everyEpochs(),
        checkpointing.kept(), hadoopConf);
    checkpoints.prepare(options.resume(), options.overwrite());
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    spark.sparkContext().setJobDescription("train: reading " + options.input());

    InputChecks checks = options.checks();
    InputFiles inputFiles = InputFiles.check(spark, options.input(), !"csv".equals(data.format()),
        checks.ignoreCorruptFiles());
    InputFiles testFiles = options.test() == null ? null
        : InputFiles.check(spark, options.test(), !"csv".equals(data.format()), checks.ignoreCorruptFiles());
    Map<String, String> corruptFiles = new TreeMap<>(inputFiles.corrupt());
    if (testFiles != null) {
      corruptFiles.putAll(testFiles.corrupt());
    }
    corruptFiles.forEach((file, reason) -> LOG.warn("Skipping corrupt input file {}: {}", file, reason));
    Dataset<Row> inputFrame = FeatureFrames.read(spark, data, inputFiles, List.of());
    Dataset<Row> testInputFrame = testFiles == null ? null : FeatureFrames.read(spark, data, testFiles, List.of());
    Dataset<Row> trainFrame = inputFrame;
    Dataset<Row> testFrame;
    if (testInputFrame != null) {
      testFrame = testInputFrame;
    } else {
      Column heldOut = pmod(xxhash64(col(FeatureFrames.ID), lit(train.seed())), lit(HASH_BUCKETS))
          .lt(lit(Math.round(train.validationFraction() * HASH_BUCKETS)));
      testFrame = trainFrame.where(heldOut);
      trainFrame = trainFrame.where(heldOut.unary_$bang());
    }
    FeatureSchema schema = FeatureFrames.schemaOf(trainFrame, data, options.input());
    FeatureRows check = FeatureRows.of(trainFrame.schema(), FeatureFrames.ID, FeatureFrames.FEATURES,
        data.featureColumns().isEmpty() ? data.featuresColumn() : FeatureFrames.FEATURES, schema, spec.distribution());
    boolean skipBad = checks.onBadRows() != BadRowPolicy.FAIL;
    // A plot.image-shape that does not fit the features fails now, not after hours of training.
    recipe.plot().imageShape(schema.featureCount());

    int workers = train.workers() > 0 ? train.workers() : jsc.defaultParallelism();
    spark.sparkContext().setJobDescription("train: validating " + options.input());
    JavaRDD<float[]> trainRows = Minibatches.balanced(Minibatches.rows(trainFrame, check, skipBad), workers)
        .persist(StorageLevel.MEMORY_ONLY());
    JavaRDD<DataSet> testBatches = Minibatches.of(testFrame, check, skipBad, train.evalBatchSize())
        .persist(StorageLevel.MEMORY_ONLY());
    try {
      long trainExamples = trainRows.count();
      long testExamples = exampleCount(testBatches);
      if (trainExamples == 0) {
        throw new IOException("Cannot train on " + options.input() + ": no training rows");
      }
      // Parquet counts come from the file footers: the rows read, exactly, without another pass over the data.
      long read = inputFrame.count() + (testInputFrame == null ? 0 : testInputFrame.count());
      long bad = read - trainExamples - testExamples;
      if (bad > 0) {
        LOG.warn("train: {} of {} rows failed the checks and were left out (--on-bad-rows {})", bad, read,
            checks.onBadRows().name().toLowerCase(java.util.Locale.ROOT));
      }
      LOG.info("train: {} training and {} held-out examples of {} features; {} workers, {}", trainExamples,
          testExamples, schema.featureCount(), workers, spec);

      Map<String, String> recipeKey = recipeKey(schema, workers);
      Optional<Checkpoints.Restored> restored = options.resume() ? checkpoints.newest(recipeKey) : Optional.empty();
      MultiLayerNetwork net;
      List<EpochMetrics> metrics = new ArrayList<>();
      if (restored.isPresent()) {
        net = restored.get().network();
        // The learning rate may change on resume (e.g. lower, after a divergence); the rest of the recipe may not.
        net.setLearningRate(train.learningRate());
        metrics.addAll(restored.get().metrics());
        LOG.info("train: resuming after epoch {} from {}", restored.get().epoch(), restored.get().path());
      } else {
        if (options.resume()) {
          LOG.info("train: no checkpoint in {}: starting from the first epoch", checkpoints.dir());
        }
        net = VaeNetworks.create(spec, train, schema.featureCount());
      }
      VaePretrainingMaster master = VaePretrainingMaster.create(train, workers);
      SparkDl4jMultiLayer sparkNet = new SparkDl4jMultiLayer(jsc, net, master);
      List<RoundTimings> roundTimings = new ArrayList<>();
      for (int epoch = metrics.size() + 1; epoch <= train.epochs(); epoch++) {
        int shownEpoch = epoch;
        master.setRoundListener((round, rounds, score) -> spark.sparkContext().setJobDescription(String.format(
            "train: epoch %d/%d, after round %d/%d", shownEpoch, train.epochs(), round, rounds)));
        spark.sparkContext().setJobDescription(String.format("train: epoch %d/%d", epoch, train.epochs()));
        net.getLayerWiseConfigurations().setEpochCount(epoch - 1);
        long start = System.nanoTime();
        // Rows are reshuffled into new minibatches every epoch, as SGD expects.
        JavaRDD<DataSet> epochBatches = Minibatches.shuffled(trainRows, schema.featureCount(),
            train.batchSizePerWorker(), NoiseSeeds.of(train.seed(), -1, epoch));
        try {
          sparkNet.fit(epochBatches);
        } catch (TrainingDivergedException e) {
          throw new TrainingDivergedException(e.getMessage().replaceFirst("^Training diverged in ",
              String.format("Training diverged in epoch %d of %d, ", epoch, train.epochs())) + "; "
              + checkpoints.newestPath().map(last -> "the last good checkpoint is " + last)
                  .orElse("there is no checkpoint yet"));
        } finally {
          epochBatches.unpersist(false);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double trainElbo = master.takeRoundScores().stream().mapToDouble(Double::doubleValue).average()
            .orElse(Double.NaN);
        spark.sparkContext().setJobDescription(String.format("train: epoch %d/%d, evaluation", epoch,
            train.epochs()));
        double testElbo = testExamples == 0 ? Double.NaN
            : NetworkScores.meanNegativeElbo(testBatches, net, train.seed());
        metrics.add(new EpochMetrics(epoch, trainElbo, testElbo, seconds, trainExamples));
        checkpoints.epochDone(epoch, train.epochs(), net, metrics, recipeKey);
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
          Instant.now().toString(), train.epochs(), trainExamples, train.anomalyQuantile(), threshold, null, null);
      String plotSource = options.test() != null ? options.test() : options.input();
      ModelArtifact.ExtraFiles plots = PlotJob.modelFiles(spark, recipe.plot(), net, metrics,
          testExamples > 0 ? testFrame : trainFrame, check, options.model(), plotSource);
      long[] quarantined = {0};
      ModelArtifact.ExtraFiles plotsAndQuarantine = (fs, staging) -> {
        plots.write(fs, staging);
        if (checks.onBadRows() == BadRowPolicy.QUARANTINE && bad > 0) {
          quarantined[0] = BadRows.quarantine(spark, inputFrame, check, staging + "/" + BadRows.QUARANTINE
              + "/input", options.input());
          if (testInputFrame != null) {
            quarantined[0] += BadRows.quarantine(spark, testInputFrame, check, staging + "/" + BadRows.QUARANTINE
                + "/test", options.test());
          }
        }
      };
      ModelArtifact artifact = new ModelArtifact(info, net, metrics).save(options.model(), hadoopConf,
          options.overwrite(), plotsAndQuarantine);
      LOG.info("train: model written to {}", options.model());
      long duplicates = !checks.countDuplicateIds() ? -1
          : BadRows.duplicateIds(spark, inputFrame, options.input())
              + (testInputFrame == null ? 0 : BadRows.duplicateIds(spark, testInputFrame, options.test()));
      RowCounts counts = new RowCounts(read, trainExamples + testExamples,
          checks.onBadRows() == BadRowPolicy.SKIP ? bad : 0, quarantined[0], duplicates);
      return new Result(artifact, trainExamples, testExamples, counts, corruptFiles,
          restored.map(Checkpoints.Restored::epoch).orElse(0), roundTimings);
    } finally {
      trainRows.unpersist(false);
      testBatches.unpersist(false);
    }
  }

  /** Settings a resumed run may change: they do not alter what the remaining epochs compute from a checkpoint. */
  private static final List<String> RESUMABLE_CHANGES = List.of("train.epochs", "train.learning-rate",
      "train.checkpoint-dir", "train.checkpoint-every-epochs", "train.checkpoints-kept", "train.eval-batch-size",
      "train.anomaly-quantile", "train.prefetch-batches");

  /** What a checkpoint must share with this run to be resumed: the settings of data, vae and train, and more. */
  private Map<String, String> recipeKey(FeatureSchema schema, int workers) {
    Map<String, String> key = new TreeMap<>();
    for (String group : List.of("data", "vae", "train")) {
      settings.config().getConfig(group).entrySet().forEach(entry -> key.put(group + "." + entry.getKey(),
          entry.getValue().render(ConfigRenderOptions.concise())));
    }
    RESUMABLE_CHANGES.forEach(key::remove);
    key.put("workers", Integer.toString(workers));
    key.put("features", schema.describe());
    return key;
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
