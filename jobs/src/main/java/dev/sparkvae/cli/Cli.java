package dev.sparkvae.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.RunSummary;
import dev.sparkvae.jobs.EncodeJob;
import dev.sparkvae.jobs.EvaluateJob;
import dev.sparkvae.jobs.ImportJob;
import dev.sparkvae.jobs.PlotJob;
import dev.sparkvae.jobs.ReconstructJob;
import dev.sparkvae.jobs.TrainJob;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.runtime.SparkSessions;
import dev.sparkvae.training.TrainingDivergedException;
import dev.sparkvae.training.VaeTraining;
import java.io.File;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine;

/**
 * The command line of every job: {@code sparkvae [--cluster NAME] JOB [options]}. Parses, runs the job, prints
 * where its output is, and exits non-zero with one clear line on failure. The launcher
 * ({@code submit-scripts/sparkvae.sh}) passes {@code --cluster}; settings come from {@code conf/}.
 */
@Command(name = "sparkvae", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
    subcommands = {Cli.Import.class, Cli.Train.class, Cli.Encode.class, Cli.Reconstruct.class,
        Cli.Evaluate.class, Cli.Plot.class},
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
  PrintWriter err;

  public static void main(String[] args) {
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  /** Runs the command line; returns the exit code (0 success, 1 failure, 2 usage error). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    Cli cli = new Cli();
    cli.out = out;
    cli.err = err;
    return commandLine(cli)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler((e, line, parsed) -> {
          err.println("sparkvae " + line.getCommandName() + " failed: " + reason(e));
          LOG.debug("failure", e);
          return 1;
        })
        .execute(args);
  }

  /** The parser of the command line, as every caller must configure it (modes such as fail|skip in any case). */
  static CommandLine commandLine(Cli cli) {
    return new CommandLine(cli).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(commandLine(this),
        "Missing job: import, train, encode, reconstruct, evaluate or plot");
  }

  /**
   * The message users need: ours when one of our errors is in the chain, else the deepest cause's, without the
   * stack trace that Spark appends to task failures.
   */
  public static String reason(Throwable e) {
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

  /** The work of a job in its Spark session: runs it, fills in the summary, returns the lines to print. */
  @FunctionalInterface
  interface SparkWork {
    String run(SparkSession spark, RunSummary.Builder summary) throws Exception;
  }

  /** Runs {@code job} in a Spark session made from {@code settings} as a {@link JobRun}; prints what it returns. */
  void runJob(String job, Settings settings, SummaryOption summary, boolean overwrite, SparkWork work)
      throws Exception {
    try (SparkSession spark = SparkSessions.create(settings, "spark-vae " + job)) {
      out.println(JobRun.execute(spark, job, settings, summary.file, overwrite, err, s -> work.run(spark, s)));
    }
  }

  /** {@code --summary FILE}: every job accepts it. */
  static final class SummaryOption {
    @Option(names = "--summary", paramLabel = "FILE",
        description = "Write the run summary (inputs, outputs, counts, timings, rows/s, backend) as JSON to FILE "
            + "(any Hadoop path), also when the job fails.")
    String file;
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
    @Mixin SummaryOption summaryOption;

    @Option(names = "--images", required = true, paramLabel = "FILE",
        description = "IDX images file (.gz or plain; any Hadoop path).")
    String images;

    @Option(names = "--labels", required = true, paramLabel = "FILE", description = "IDX labels file.")
    String labels;

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
      cli.runJob("import", settings, summaryOption, overwrite, (spark, summary) -> {
        ImportJob.Result result = new ImportJob(spark,
            new ImportJob.Options(images, labels, output, limit, partitions, overwrite)).run();
        summary.input("images", images).input("labels", labels).output("output", result.output())
            .count("rows_written", result.rows()).throughput(result.rows());
        return String.format("Imported %d rows of %d features to %s", result.rows(), result.featureCount(),
            result.output());
      });
      return 0;
    }
  }

  @Command(name = "train", mixinStandardHelpOptions = true,
      description = "Train a VAE by parameter averaging and write a model directory.")
  static final class Train implements Callable<Integer> {
    @ParentCommand Cli cli;
    @Mixin SettingsOptions settingsOptions;
    @Mixin SummaryOption summaryOption;

    @Option(names = "--input", required = true, paramLabel = "DIR", description = "Training data (Parquet or CSV).")
    String input;

    @Option(names = "--test", paramLabel = "DIR",
        description = "Held-out data; without it train.validation-fraction of the input is held out by id.")
    String test;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory to write.")
    String model;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (overrides train.epochs).")
    Integer epochs;

    @Mixin InputCheckOptions inputChecks;

    @Option(names = "--overwrite",
        description = "Replace an existing model directory and start over (earlier checkpoints are deleted).")
    boolean overwrite;

    @Option(names = "--resume",
        description = "Continue from the newest valid checkpoint (train.checkpoint-dir; from scratch when none).")
    boolean resume;

    @Override
    public Integer call() throws Exception {
      if (epochs != null) {
        settingsOptions.overrides.add("train.epochs=" + epochs);
      }
      Settings settings = cli.settings(settingsOptions);
      VaeTraining.Recipe.from(settings);
      LOG.info("train settings: data={} vae={} train={}", settings.render("data"), settings.render("vae"),
          settings.render("train"));
      cli.runJob("train", settings, summaryOption, overwrite, (spark, summary) -> {
        TrainJob.Result result = new TrainJob(spark, settings, new TrainJob.Options(input, test, model, overwrite,
            inputChecks.checks(), resume)).run();
        var last = result.metrics().get(result.metrics().size() - 1);
        Path plots = new Path(model, PlotJob.PLOTS);
        boolean plotted = plots.getFileSystem(spark.sparkContext().hadoopConfiguration()).exists(plots);
        summary.input("input", input).input("test", test).output("model", model)
            .output("plots", plotted ? plots.toString() : null)
            .count("train_examples", result.trainExamples()).count("test_examples", result.testExamples())
            .count("epochs", last.epoch())
            .timing("training_seconds", result.metrics().stream().mapToDouble(EpochMetrics::seconds).sum())
            .throughput(result.trainExamples() * last.epoch());
        return String.format("Trained %d epochs on %d examples; held-out negative ELBO %.2f nats per example%n"
            + "Model:   %s/model.zip (with model.json)%nMetrics: %s/metrics.json%s%s", last.epoch(),
            result.trainExamples(), last.testNegElbo(), model, model, plotted ? "\nPlots:   " + plots + "/" : "",
            InputCheckOptions.report(result.counts(), result.corruptFiles(), summary, "used"));
      });
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
  }

  /** How the jobs that score rows treat bad input. */
  static final class InputCheckOptions {
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

    /** Records the counts and skipped files of a run; the lines to print when there is more than rows written. */
    static String report(RowCounts counts, Map<String, String> corruptFiles, RunSummary.Builder summary) {
      return report(counts, corruptFiles, summary, "written");
    }

    /** As {@link #report(RowCounts, Map, RunSummary.Builder)}, naming the good rows {@code usedAs}. */
    static String report(RowCounts counts, Map<String, String> corruptFiles, RunSummary.Builder summary,
        String usedAs) {
      counts.asMap().forEach((name, value) -> summary.count("rows_" + (name.equals("written") ? usedAs : name), value));
      summary.count("corrupt_files_skipped", corruptFiles.size());
      StringBuilder line = new StringBuilder();
      if (counts.read() != counts.written()) {
        line.append(String.format("%n%d rows read, %d %s, %d skipped, %d quarantined", counts.read(),
            counts.written(), usedAs, counts.skipped(), counts.quarantined()));
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

  /** Options of the jobs that write one output row per input row. */
  static final class RowsOutput {
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Parquet output directory.")
    String output;

    @Option(names = "--keep", split = ",", paramLabel = "COL", description = "Input columns to copy to the output.")
    List<String> keep = new ArrayList<>();
  }

  /** The base of encode, reconstruct, evaluate and plot: settings, a session, the job, one line of result. */
  abstract static class ScoringCommand implements Callable<Integer> {
    @ParentCommand Cli cli;
    @Mixin SettingsOptions settingsOptions;
    @Mixin ScoringOptions scoring;
    @Mixin SummaryOption summaryOption;

    @Override
    public Integer call() throws Exception {
      Settings settings = cli.settings(settingsOptions);
      settings.oneOf("data.format", "parquet", "csv");
      settings.oneOf("inference.engine", InferenceEngines.NAMES.toArray(new String[0]));
      settings.positiveInt("inference.threads");
      PlotSettings.from(settings);
      cli.runJob(getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT), settings, summaryOption,
          scoring.overwrite, (spark, summary) -> {
            summary.input("input", scoring.input).input("model", scoring.model);
            return run(spark, settings, summary);
          });
      return 0;
    }

    /** Runs the job with validated settings, records what it did in {@code summary}; returns the line to print. */
    abstract String run(SparkSession spark, Settings settings, RunSummary.Builder summary) throws Exception;
  }

  @Command(name = "encode", mixinStandardHelpOptions = true,
      description = "Encode every row to the mean and log-variance of q(z|x) (Parquet: id, z_mean, z_log_var).")
  static final class Encode extends ScoringCommand {
    @Mixin RowsOutput rows;

    @Option(names = "--batch-size", defaultValue = "1024", paramLabel = "N",
        description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin InputCheckOptions inputChecks;

    @Option(names = "--vector-output",
        description = "Write z_mean and z_log_var as Spark ML vectors (for KMeans, PCA, LSH) instead of arrays.")
    boolean vectorOutput;

    @Override
    String run(SparkSession spark, Settings settings, RunSummary.Builder summary) throws Exception {
      String engine = settings.string("inference.engine");
      EncodeJob.Result result = new EncodeJob(spark, new EncodeJob.Options(scoring.input, scoring.model, rows.output,
          rows.keep, batchSize, settings.string("data.format"), engine, settings.positiveInt("inference.threads"),
          scoring.overwrite, inputChecks.checks(), vectorOutput)).run();
      summary.output("output", result.output()).throughput(result.rows()).environment("inference_engine", engine);
      return String.format("Encoded %d rows to %s (z_mean and z_log_var of size %d%s)%s", result.rows(),
          result.output(), result.latentSize(), vectorOutput ? ", as vectors" : "",
          InputCheckOptions.report(result.counts(), result.corruptFiles(), summary));
    }
  }

  @Command(name = "reconstruct", mixinStandardHelpOptions = true,
      description = "Per-row reconstruction error, importance-sampled log-likelihood and anomaly flag.")
  static final class Reconstruct extends ScoringCommand {
    @Mixin RowsOutput rows;
    @Mixin InputCheckOptions inputChecks;

    @Option(names = "--samples", defaultValue = "16", paramLabel = "N",
        description = "Importance samples for log_prob (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--with-reconstruction", description = "Also write the reconstruction (array<float>).")
    boolean withReconstruction;

    @Option(names = "--threshold", paramLabel = "NATS",
        description = "Anomaly threshold on the reconstruction error (default: the one recorded in the model).")
    Double threshold;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N",
        description = "Rows per forward pass; a pass decodes N x (samples + 1) latents at once, so memory grows "
            + "with both (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    String run(SparkSession spark, Settings settings, RunSummary.Builder summary) throws Exception {
      ReconstructJob.Result result = new ReconstructJob(spark, new ReconstructJob.Options(scoring.input,
          scoring.model, rows.output, rows.keep, samples, withReconstruction, threshold, batchSize,
          settings.string("data.format"), scoring.overwrite, inputChecks.checks(),
          settings.string("inference.engine"), settings.positiveInt("inference.threads"))).run();
      summary.output("output", result.output()).throughput(result.rows())
          .environment("inference_engine", settings.string("inference.engine"));
      return String.format("Scored %d rows to %s (anomaly threshold %.3f nats)%s", result.rows(), result.output(),
          result.threshold(), InputCheckOptions.report(result.counts(), result.corruptFiles(), summary));
    }
  }

  @Command(name = "evaluate", mixinStandardHelpOptions = true,
      description = "Negative ELBO, reconstruction error, anomaly score and log-likelihood summaries as JSON (with "
          + "detection figures when anomaly.normal-labels is set), and plots.")
  static final class Evaluate extends ScoringCommand {
    @Mixin InputCheckOptions inputChecks;

    @Option(names = "--output", paramLabel = "FILE", description = "Also write the JSON summary to FILE.")
    String output;

    @Option(names = "--plots", paramLabel = "DIR",
        description = "Directory of the plots (default: MODEL/plots/INPUT-NAME; none with plot.enabled=false).")
    String plots;

    @Option(names = "--samples", defaultValue = "16", paramLabel = "N",
        description = "Importance samples for the log-likelihood (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--batch-size", defaultValue = "256", paramLabel = "N",
        description = "Rows per forward pass; a pass decodes N x (samples + 1) latents at once, so memory grows "
            + "with both (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Override
    String run(SparkSession spark, Settings settings, RunSummary.Builder summary) throws Exception {
      PlotSettings plotSettings = PlotSettings.from(settings);
      PlotJob plotJob = new PlotJob(spark, plotSettings, new PlotJob.Options(scoring.input, scoring.model, plots,
          settings.string("data.format"), scoring.overwrite));
      if (plotSettings.enabled()) {
        AtomicDirectory.checkWritable(plotJob.output(), scoring.overwrite, spark.sparkContext().hadoopConfiguration());
      }
      ObjectNode figures = new EvaluateJob(spark, new EvaluateJob.Options(scoring.input, scoring.model, output,
          samples, batchSize, settings.string("data.format"), scoring.overwrite, inputChecks.checks(),
          settings.string("inference.engine"), settings.positiveInt("inference.threads"),
          settings.integerList("anomaly.normal-labels"))).run();
      summary.output("output", output).count("rows", figures.get("rows").asLong())
          .count("rows_read", figures.get("rows_read").asLong())
          .count("rows_skipped", figures.get("rows_skipped").asLong())
          .count("duplicate_ids", figures.get("duplicate_ids").asLong())
          .throughput(figures.get("rows").asLong());
      if (plotSettings.enabled()) {
        summary.output("plots", plotJob.run().output());
      }
      return figures.toPrettyString();
    }
  }

  @Command(name = "plot", mixinStandardHelpOptions = true,
      description = "Plots of a model on a dataset as PNG: training curve, latent map, reconstructions, samples.")
  static final class Plot extends ScoringCommand {
    @Option(names = "--output", paramLabel = "DIR",
        description = "Directory of the PNG files (default: MODEL/plots/INPUT-NAME).")
    String output;

    @Override
    String run(SparkSession spark, Settings settings, RunSummary.Builder summary) throws Exception {
      PlotJob.Result result = new PlotJob(spark, PlotSettings.from(settings), new PlotJob.Options(scoring.input,
          scoring.model, output, settings.string("data.format"), scoring.overwrite)).run();
      summary.output("plots", result.output()).count("plots_written", result.plots().size())
          .count("latent_points", result.sampledRows()).throughput(result.sampledRows());
      return String.format("Wrote %s to %s (latent map of %d rows)", String.join(", ", result.plots().stream()
          .map(dev.sparkvae.plot.Plot::name).toList()), result.output(), result.sampledRows());
    }
  }

  /** Reports the project version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      return new String[] {"spark-vae " + VaeTraining.versions().getOrDefault("spark-vae", "unknown")};
    }
  }
}
