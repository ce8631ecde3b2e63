package dev.sparkvae.jobs;

import dev.sparkvae.config.CheckpointSettings;
import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.input.BadRows;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.InputFiles;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.RunSummary;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.training.Checkpoints;
import dev.sparkvae.training.RoundTimings;
import dev.sparkvae.training.VaeTraining;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code train}: trains a VAE on Spark by parameter averaging ({@link VaeTraining}) and writes a model directory
 * ({@link ModelArtifact}).
 *
 * <p>Input rows are validated once and cached in executor memory; every epoch shuffles them (seeded) into new
 * minibatches. After each epoch the held-out negative ELBO is computed on the executors: on {@code test} when
 * given, else on the {@code train.validation-fraction} of rows chosen by a seeded hash of the id (the same rows
 * every run). The same seed, data and worker count give the same model. Unless {@code plot.enabled} is false, the
 * model directory gets the {@link PlotJob} plots in {@code plots/}, drawn from a sample of the held-out rows.
 *
 * <p>Dangers: the model directory is refused when it exists unless {@code overwrite} is set; a non-finite loss
 * stops training with {@link dev.sparkvae.training.TrainingDivergedException}.
 */
public final class TrainJob {
  private static final Logger LOG = LoggerFactory.getLogger(TrainJob.class);

  /** The options of train, with their flags. */
  public static final class Options implements JobOptions {
    @Option(names = "--input", required = true, paramLabel = "DIR", description = "Training data (Parquet or CSV).")
    private String input;

    @Option(names = "--test", paramLabel = "DIR",
        description = "Held-out data; without it train.validation-fraction of the input is held out by id.")
    private String test;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory to write.")
    private String model;

    @Mixin private InputChecks checks = new InputChecks();

    @Option(names = "--overwrite",
        description = "Replace an existing model directory and start over (earlier checkpoints are deleted).")
    private boolean overwrite;

    @Option(names = "--resume",
        description = "Continue from the newest valid checkpoint (train.checkpoint-dir; from scratch when none).")
    private boolean resume;

    /** Training data: a Parquet or CSV directory (any Hadoop path). */
    public String input() {
      return input;
    }

    public Options input(String dir) {
      input = dir;
      return this;
    }

    /** Held-out data, or null to hold out {@code train.validation-fraction} of the input. */
    public String test() {
      return test;
    }

    public Options test(String dir) {
      test = dir;
      return this;
    }

    /** The model directory to write. */
    public String model() {
      return model;
    }

    public Options model(String dir) {
      model = dir;
      return this;
    }

    /**
     * What to do with bad rows (skipped, or quarantined under the model's {@code _quarantine/input} and
     * {@code _quarantine/test}), corrupt files and duplicate ids.
     */
    public InputChecks checks() {
      return checks;
    }

    public Options checks(InputChecks value) {
      checks = value;
      return this;
    }

    /** Replace an existing model directory and start over. */
    @Override
    public boolean overwrite() {
      return overwrite;
    }

    public Options overwrite(boolean value) {
      overwrite = value;
      return this;
    }

    /** Continue from the newest valid checkpoint (from scratch when there is none). */
    public boolean resume() {
      return resume;
    }

    public Options resume(boolean value) {
      resume = value;
      return this;
    }

    @Override
    public void recordInputs(RunSummary.Builder summary) {
      summary.input("input", input).input("test", test);
    }
  }

  /**
   * What was trained and written.
   *
   * @param counts rows read (input and test), used (trained on or held out), skipped, quarantined, duplicate ids
   * @param corruptFiles input files left out as corrupt, with the reason
   * @param resumedAfterEpoch the epoch of the checkpoint this run continued from; 0 when it started afresh
   * @param rounds where the time of each epoch's averaging rounds went, one entry per epoch run
   * @param model the model directory written
   * @param plots the directory of its plots, or null when it has none
   */
  public record Result(ModelArtifact artifact, long trainExamples, long testExamples, RowCounts counts,
      Map<String, String> corruptFiles, int resumedAfterEpoch, List<RoundTimings> rounds, String model,
      String plots) implements JobResult {
    public List<EpochMetrics> metrics() {
      return artifact.metrics();
    }

    @Override
    public String message() {
      return String.format("Trained %d epochs on %d examples; held-out negative ELBO %.2f nats per example%n"
          + "Model:   %s/model.zip (with model.json)%nMetrics: %s/metrics.json%s%s", last().epoch(), trainExamples,
          last().testNegElbo(), model, model, plots != null ? "\nPlots:   " + plots + "/" : "", report().message());
    }

    @Override
    public void summarize(RunSummary.Builder summary) {
      summary.output("model", model).output("plots", plots)
          .count("train_examples", trainExamples).count("test_examples", testExamples)
          .count("epochs", last().epoch())
          .timing("training_seconds", metrics().stream().mapToDouble(EpochMetrics::seconds).sum())
          .throughput(trainExamples * last().epoch());
      report().summarize(summary);
    }

    private EpochMetrics last() {
      return metrics().get(metrics().size() - 1);
    }

    private InputReport report() {
      return new InputReport(counts, corruptFiles, "used");
    }
  }

  private final SparkSession spark;
  private final Options options;
  private final Checkpoints checkpoints;
  private final VaeTraining training;
  private final Configuration hadoopConf;

  /** @throws dev.sparkvae.config.InvalidSettingException when a setting is invalid */
  public TrainJob(SparkSession spark, Settings settings, Options options) {
    this.spark = spark;
    this.options = options;
    this.hadoopConf = spark.sparkContext().hadoopConfiguration();
    CheckpointSettings checkpointing = CheckpointSettings.from(settings);
    this.checkpoints = new Checkpoints(checkpointing.dirFor(options.model()), checkpointing.everyEpochs(),
        checkpointing.kept(), hadoopConf);
    this.training = new VaeTraining(spark, settings, checkpoints);
  }

  /** Trains and writes the model directory; see the class comment. */
  public Result run() throws IOException {
    prepareOutputs();
    Frames frames = readInputs();
    VaeTraining.Trained trained = training.train(new VaeTraining.Inputs(frames.input(), "input " + options.input(),
        frames.test(), options.checks().onBadRows() != BadRowPolicy.FAIL, options.resume()));
    Saved saved = save(trained, frames);
    return new Result(saved.artifact(), trained.trainExamples(), trained.testExamples(),
        counts(trained, frames, saved.quarantined()), frames.corruptFiles(), trained.resumedAfterEpoch(),
        trained.rounds(), options.model(), plots());
  }

  /** Refuses an existing model directory (unless overwrite) and readies the checkpoint directory. */
  private void prepareOutputs() throws IOException {
    AtomicDirectory.checkWritable(options.model(), options.overwrite(), hadoopConf);
    checkpoints.prepare(options.resume(), options.overwrite());
  }

  /** The input and test frames, with the files left out as corrupt. */
  private record Frames(Dataset<Row> input, Dataset<Row> test, Map<String, String> corruptFiles) {}

  private Frames readInputs() throws IOException {
    spark.sparkContext().setJobDescription("train: reading " + options.input());
    InputFiles inputFiles = check(options.input());
    InputFiles testFiles = options.test() == null ? null : check(options.test());
    Map<String, String> corruptFiles = new TreeMap<>(inputFiles.corrupt());
    if (testFiles != null) {
      corruptFiles.putAll(testFiles.corrupt());
    }
    corruptFiles.forEach((file, reason) -> LOG.warn("Skipping corrupt input file {}: {}", file, reason));
    DataSettings data = training.recipe().data();
    Dataset<Row> input = FeatureFrames.read(spark, data, inputFiles, List.of());
    Dataset<Row> test = testFiles == null ? null : FeatureFrames.read(spark, data, testFiles, List.of());
    return new Frames(input, test, corruptFiles);
  }

  /** The model directory as written, and the bad rows quarantined in it. */
  private record Saved(ModelArtifact artifact, long quarantined) {}

  /** Writes the model directory, atomically, with its plots and the quarantined rows when asked. */
  private Saved save(VaeTraining.Trained trained, Frames frames) throws IOException {
    ModelArtifact.ExtraFiles plots = PlotJob.modelFiles(spark, training.recipe().plot(), trained.network(),
        trained.metrics(), trained.testExamples() > 0 ? trained.heldOutFrame() : trained.trainFrame(),
        trained.check(), options.model(), options.test() != null ? options.test() : options.input());
    long[] quarantined = {0};
    ModelArtifact artifact = new ModelArtifact(trained.info(), trained.network(), trained.metrics())
        .save(options.model(), hadoopConf, options.overwrite(), (fs, staging) -> {
          plots.write(fs, staging);
          quarantined[0] = quarantine(trained, frames, staging + "/" + BadRows.QUARANTINE);
        });
    LOG.info("train: model written to {}", options.model());
    return new Saved(artifact, quarantined[0]);
  }

  /** Writes the bad rows of both inputs under {@code dir} when asked; the rows written. */
  private long quarantine(VaeTraining.Trained trained, Frames frames, String dir) {
    if (options.checks().onBadRows() != BadRowPolicy.QUARANTINE || trained.badRows() == 0) {
      return 0;
    }
    long rows = BadRows.quarantine(spark, frames.input(), trained.check(), dir + "/input", options.input());
    if (frames.test() != null) {
      rows += BadRows.quarantine(spark, frames.test(), trained.check(), dir + "/test", options.test());
    }
    return rows;
  }

  /** The rows read, used, skipped and quarantined, and the duplicate ids when they are counted (else -1). */
  private RowCounts counts(VaeTraining.Trained trained, Frames frames, long quarantined) {
    InputChecks checks = options.checks();
    long duplicates = !checks.countDuplicateIds() ? -1
        : BadRows.duplicateIds(spark, frames.input(), options.input())
            + (frames.test() == null ? 0 : BadRows.duplicateIds(spark, frames.test(), options.test()));
    long used = trained.trainExamples() + trained.testExamples();
    return new RowCounts(used + trained.badRows(), used,
        checks.onBadRows() == BadRowPolicy.SKIP ? trained.badRows() : 0, quarantined, duplicates);
  }

  /** The model's plots directory, or null when it has none (disabled, or rendering failed). */
  private String plots() throws IOException {
    Path plots = new Path(options.model(), PlotJob.PLOTS);
    return plots.getFileSystem(hadoopConf).exists(plots) ? plots.toString() : null;
  }

  private InputFiles check(String path) throws IOException {
    return InputFiles.check(spark, path, !"csv".equals(training.recipe().data().format()),
        options.checks().ignoreCorruptFiles());
  }
}
