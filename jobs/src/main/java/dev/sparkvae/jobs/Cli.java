package dev.sparkvae.jobs;

import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.jobs.spark.SparkSessions;
import dev.sparkvae.model.engine.EncoderEngines;
import dev.sparkvae.train.TrainingDivergedException;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * The command line of every job: {@code sparkvae [--cluster NAME] JOB [options]}. Parses, runs the job, prints
 * where its output is, and exits non-zero with one clear line on failure. The launcher
 * ({@code submit-scripts/sparkvae.sh}) passes {@code --cluster}; settings come from {@code conf/}.
 */
@Command(name = "sparkvae", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
    subcommands = {Cli.Import.class, Cli.Train.class, Cli.Encode.class, Cli.Reconstruct.class,
        Cli.Evaluate.class},
    description = "Train and run variational autoencoders on Apache Spark.")
public final class Cli implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

  @Option(names = "--cluster", paramLabel = "NAME",
      description = "Cluster profile: <conf-dir>/clusters/NAME.conf (Spark master, backend, Spark settings).")
  String cluster;

  @Option(names = "--conf-dir", paramLabel = "DIR", defaultValue = "${env:SPARKVAE_CONF_DIR:-conf}",
      description = "Directory of cluster profiles and job recipes (default: $SPARKVAE_CONF_DIR or ./conf).")
  File confDir;

  PrintWriter out;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line; returns the exit code (0 success, 1 failure, 2 usage error). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    Cli cli = new Cli();
    cli.out = out;
    return new CommandLine(cli)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler((e, line, parsed) -> {
          err.println("sparkvae " + line.getCommandName() + " failed: " + reason(e));
          LOG.debug("failure", e);
          return 1;
        })
        .execute(args);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(new CommandLine(this), "Missing job: import, train, encode, reconstruct or evaluate");
  }

  /**
   * The message users need: ours when one of our errors is in the chain, else the deepest cause's, without the
   * stack trace that Spark appends to task failures.
   */
  static String reason(Throwable e) {
    Throwable deepest = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BadRowException || t instanceof InvalidSettingException
          || t instanceof TrainingDivergedException) {
        return t.getMessage();
      }
      if (t.getMessage() != null) {
        deepest = t;
      }
    }
    String message = String.valueOf(deepest.getMessage());
    int trace = message.indexOf("\n\tat ");
    return trace < 0 ? message : message.substring(0, trace);
  }

  Settings settings(SettingsOptions options) {
    File clusterFile = cluster == null ? null : new File(new File(confDir, "clusters"), cluster + ".conf");
    if (clusterFile != null && !clusterFile.isFile()) {
      throw new InvalidSettingException("Unknown cluster " + cluster + ": " + clusterFile + " does not exist");
    }
    return Settings.load(clusterFile, options.config, options.overrides);
  }

  /** Options every job that reads settings accepts. */
  static final class SettingsOptions {
    @Option(names = "--config", paramLabel = "FILE", description = "A HOCON file of settings (a job recipe).")
    File config;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
        description = "Override one setting, e.g. --set vae.latent-size=32 (repeatable; applied last).")
    List<String> overrides = new ArrayList<>();
  }

  @Command(name = "import", mixinStandardHelpOptions = true,
      description = "Convert Fashion-MNIST/MNIST IDX files to Parquet (id, label, features in [0,1]).")
  static final class Import implements Callable<Integer> {
    @ParentCommand Cli cli;
    @Mixin SettingsOptions settingsOptions;

    @Option(names = "--images", required = true, paramLabel = "FILE", description = "IDX images file (.gz or plain).")
    Path images;

    @Option(names = "--labels", required = true, paramLabel = "FILE", description = "IDX labels file.")
    Path labels;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Parquet output directory.")
    String output;

    @Option(names = "--limit", defaultValue = "2147483647", paramLabel = "N",
        description = "Import only the first N images (default: all).")
    int limit;

    @Option(names = "--partitions", defaultValue = "1", paramLabel = "N", description = "Parquet files to write.")
    int partitions;

    @Option(names = "--overwrite", description = "Replace an existing output directory.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
      Settings settings = cli.settings(settingsOptions);
      try (SparkSession spark = SparkSessions.create(settings, "spark-vae import")) {
        ImportJob.Result result = new ImportJob(spark,
            new ImportJob.Options(images, labels, output, limit, partitions, overwrite)).run();
        cli.out.printf("Imported %d rows of %d features to %s%n", result.rows(), result.featureCount(),
            result.output());
      }
      return 0;
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Train a VAE by parameter averaging and write a model directory.")
  static final class Train implements Callable<Integer> {
    @ParentCommand Cli cli;
    @Mixin SettingsOptions settingsOptions;

    @Option(names = "--input", required = true, paramLabel = "DIR", description = "Training data (Parquet or CSV).")
    String input;

    @Option(names = "--test", paramLabel = "DIR",
        description = "Held-out data; without it train.validation-fraction of the input is held out by id.")
    String test;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory to write.")
    String model;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (overrides train.epochs).")
    Integer epochs;

    @Option(names = "--overwrite", description = "Replace an existing model directory.")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
      if (epochs != null) {
        settingsOptions.overrides.add("train.epochs=" + epochs);
      }
      Settings settings = cli.settings(settingsOptions);
      TrainJob.Recipe.from(settings);
      LOG.info("train settings: data={} vae={} train={}", settings.render("data"), settings.render("vae"),
          settings.render("train"));
      try (SparkSession spark = SparkSessions.create(settings, "spark-vae train")) {
        TrainJob.Result result = new TrainJob(spark, settings, new TrainJob.Options(input, test, model, overwrite))
            .run();
        var last = result.metrics().get(result.metrics().size() - 1);
        cli.out.printf("Trained %d epochs on %d examples; held-out negative ELBO %.2f nats per example%n",
            last.epoch(), result.trainExamples(), last.testNegElbo());
        cli.out.printf("Model:   %s/model.zip (with model.json)%n", model);
        cli.out.printf("Metrics: %s/metrics.json%n", model);
      }
      return 0;
    }
  }

  /** Options of the jobs that run a trained model over a dataset. */
  static final class ScoringOptions {
    @Option(names = "--input", required = true, paramLabel = "DIR", description = "Rows to score (Parquet or CSV).")
    String input;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory from train.")
    String model;

    @Option(names = "--overwrite", description = "Replace an existing output.")
    boolean overwrite;

    @Option(names = "--on-bad-rows", defaultValue = "fail", paramLabel = "MODE",
        description = "A row that fails validation: fail (the default: stop, naming file, row id, column and rule), "
            + "skip (leave it out, counted) or quarantine (leave it out and write it with its reason under the "
            + "output's _quarantine/).")
    BadRowPolicy onBadRows;

    @Option(names = "--ignore-corrupt-files",
        description = "Leave out input Parquet files that cannot be read (reported) instead of failing.")
    boolean ignoreCorruptFiles;

    @Option(names = "--skip-duplicate-check",
        description = "Do not count rows whose id another row has too (saves one shuffle of the ids).")
    boolean skipDuplicateCheck;

    InputChecks checks() {
      return new InputChecks(onBadRows, ignoreCorruptFiles, !skipDuplicateCheck);
    }
  }

  /** Options of the jobs that write one output row per input row. */
  static final class RowsOutput {
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Parquet output directory.")
    String output;

    @Option(names = "--keep", split = ",", paramLabel = "COL", description = "Input columns to copy to the output.")
    List<String> keep = new ArrayList<>();
  }

  /** The base of encode, reconstruct and evaluate: settings, a session, the job, one line of result. */
  abstract static class ScoringCommand implements Callable<Integer> {
    @ParentCommand Cli cli;
    @Mixin SettingsOptions settingsOptions;
    @Mixin ScoringOptions scoring;

    @Override
    public Integer call() throws Exception {
      Settings settings = cli.settings(settingsOptions);
      settings.oneOf("data.format", "parquet", "csv");
      settings.oneOf("inference.engine", EncoderEngines.NAMES.toArray(new String[0]));
      settings.positiveInt("inference.threads");
      try (SparkSession spark = SparkSessions.create(settings, "spark-vae " + getClass().getSimpleName()
          .toLowerCase(java.util.Locale.ROOT))) {
        cli.out.println(run(spark, settings));
      }
      return 0;
    }

    /** Runs the job with validated settings; returns the line to print. */
    abstract String run(SparkSession spark, Settings settings) throws Exception;

    /** The counts and skipped files of a run, when there is anything to say beyond the rows written. */
    static String describe(RowCounts counts, Map<String, String> corruptFiles) {
      StringBuilder line = new StringBuilder();
      if (counts.read() != counts.written()) {
        line.append(String.format("%n%d rows read, %d written, %d skipped, %d quarantined", counts.read(),
            counts.written(), counts.skipped(), counts.quarantined()));
      }
      if (counts.duplicateIds() > 0) {
        line.append(String.format("%nWarning: %d rows repeat the id of another row", counts.duplicateIds()));
      }
      if (!corruptFiles.isEmpty()) {
        line.append(String.format("%n%d corrupt input files skipped: %s", corruptFiles.size(),
            String.join(", ", corruptFiles.keySet())));
      }
      return line.toString();
    }
  }

  @Command(name = "encode", mixinStandardHelpOptions = true,
      description = "Encode every row to the mean and log-variance of q(z|x) (Parquet: id, z_mean, z_log_var).")
  static final class Encode extends ScoringCommand {
    @Mixin RowsOutput rows;

    @Option(names = "--batch-size", defaultValue = "1024", paramLabel = "N",
        description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    String run(SparkSession spark, Settings settings) throws Exception {
      EncodeJob.Result result = new EncodeJob(spark, new EncodeJob.Options(scoring.input, scoring.model,
          rows.output, rows.keep, batchSize, settings.string("data.format"), settings.string("inference.engine"),
          settings.positiveInt("inference.threads"), scoring.overwrite, scoring.checks())).run();
      return String.format("Encoded %d rows to %s (z_mean and z_log_var of size %d)%s", result.rows(),
          result.output(), result.latentSize(), describe(result.counts(), result.corruptFiles()));
    }
  }

  @Command(name = "reconstruct", mixinStandardHelpOptions = true,
      description = "Per-row reconstruction error, importance-sampled log-likelihood and anomaly flag.")
  static final class Reconstruct extends ScoringCommand {
    @Mixin RowsOutput rows;

    @Option(names = "--samples", defaultValue = "16", paramLabel = "N",
        description = "Importance samples for log_prob (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--with-reconstruction", description = "Also write the reconstruction (array<float>).")
    boolean withReconstruction;

    @Option(names = "--threshold", paramLabel = "NATS",
        description = "Anomaly threshold on the reconstruction error (default: the one recorded in the model).")
    Double threshold;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N",
        description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    String run(SparkSession spark, Settings settings) throws Exception {
      ReconstructJob.Result result = new ReconstructJob(spark, new ReconstructJob.Options(scoring.input,
          scoring.model, rows.output, rows.keep, samples, withReconstruction, threshold, batchSize,
          settings.string("data.format"), scoring.overwrite, scoring.checks())).run();
      return String.format("Scored %d rows to %s (anomaly threshold %.3f nats)%s", result.rows(), result.output(),
          result.threshold(), describe(result.counts(), result.corruptFiles()));
    }
  }

  @Command(name = "evaluate", mixinStandardHelpOptions = true,
      description = "Negative ELBO, reconstruction error and log-likelihood summaries as JSON.")
  static final class Evaluate extends ScoringCommand {
    @Option(names = "--output", paramLabel = "FILE", description = "Also write the JSON summary to FILE.")
    String output;

    @Option(names = "--samples", defaultValue = "16", paramLabel = "N",
        description = "Importance samples for the log-likelihood (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N",
        description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    String run(SparkSession spark, Settings settings) throws Exception {
      return new EvaluateJob(spark, new EvaluateJob.Options(scoring.input, scoring.model, output, samples, batchSize,
          settings.string("data.format"), scoring.overwrite, scoring.checks())).run().toPrettyString();
    }
  }

  /** Reports the project version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      return new String[] {"spark-vae " + TrainJob.versions().getOrDefault("spark-vae", "unknown")};
    }
  }
}
