package dev.sparkvae.jobs;

import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.InputFiles;
import dev.sparkvae.input.PlotSamples;
import dev.sparkvae.rows.RowReader;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.RunSummary;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.plot.ModelPlots;
import dev.sparkvae.plot.Plot;
import dev.sparkvae.plot.PlotSample;
import java.awt.AWTError;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/**
 * {@code plot}: the {@link ModelPlots} of a model on a dataset as PNG files in a directory (default
 * {@code MODEL/plots/INPUT-NAME}, see {@link #defaultOutput}): training curve, latent map, reconstructions and
 * samples from the prior.
 *
 * <p>Only a bounded sample reaches the driver: {@code plot.latent-points} rows chosen by a seeded hash of the id
 * ({@link PlotSamples}); the driver restores the model and computes latent means, reconstructions and prior samples
 * for them. The directory is committed atomically and never over an existing one unless {@code overwrite} is set.
 * {@code train} writes the same plots into the model directory through {@link #modelFiles}.
 */
public final class PlotJob {
  private static final Logger LOG = LoggerFactory.getLogger(PlotJob.class);
  /** The directory of plots inside a model directory. */
  public static final String PLOTS = "plots";

  /**
   * The options of plot, with their flags: those of {@link ScoringOptions} (the input is read with the model's
   * feature layout and label column) and {@code --output}.
   */
  public static final class Options extends ScoringOptions<Options> {
    @Option(names = "--output", paramLabel = "DIR",
        description = "Directory of the PNG files (default: MODEL/plots/INPUT-NAME).")
    String output;

    /** The directory of the PNG files; null for {@link #defaultOutput}. */
    public Options output(String dir) {
      output = dir;
      return this;
    }
  }

  /**
   * What was written.
   *
   * @param sampledRows rows in the sample (the points of the latent map)
   */
  public record Result(String output, List<Plot> plots, int sampledRows) implements JobResult {
    @Override
    public String message() {
      return String.format("Wrote %s to %s (latent map of %d rows)", String.join(", ",
          plots.stream().map(Plot::name).toList()), output, sampledRows);
    }

    @Override
    public void summarize(RunSummary.Builder summary) {
      summary.output("plots", output).count("plots_written", plots.size()).count("latent_points", sampledRows)
          .throughput(sampledRows);
    }
  }

  private final SparkSession spark;
  private final Options options;

  public PlotJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  /** {@code MODEL/plots/NAME}, NAME being the last segment of {@code input} (e.g. {@code test}). */
  public static String defaultOutput(String model, String input) {
    return new Path(new Path(model, PLOTS), new Path(input).getName()).toString();
  }

  /** Where this job writes. */
  public String output() {
    return options.output != null ? options.output : defaultOutput(options.model, options.input);
  }

  public Result run() throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    String output = output();
    AtomicDirectory.checkWritable(output, options.overwrite, hadoopConf);
    ModelArtifact artifact = ModelArtifact.load(options.model, hadoopConf);
    FeatureSchema schema = artifact.info().featureSchema();
    PlotSettings settings = options.plot;
    settings.imageShape(schema.featureCount());
    spark.sparkContext().setJobDescription("plot: reading " + options.input);
    Dataset<Row> frame = ScoringRun.checkedFrame(spark, schema, true, options,
        InputFiles.check(spark, options.input, !options.csv(), false), List.of());
    spark.sparkContext().setJobDescription(String.format("plot: sampling %d rows of %s", settings.latentPoints(),
        options.input));
    List<Plot> plots = render(artifact.network(), artifact.metrics(), frame, RowReader.of(frame.schema(),
        FeatureFrames.ID, FeatureFrames.FEATURES, FeatureFrames.FEATURES, schema, artifact.info().vae().distribution()),
        options.input, settings);
    String staging = AtomicDirectory.staging(output);
    try {
      Path dir = new Path(staging);
      ModelPlots.write(plots, dir.getFileSystem(hadoopConf), dir);
      AtomicDirectory.commit(staging, output, hadoopConf);
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
    int points = plots.stream().filter(p -> p.name().equals(ModelPlots.LATENT_MAP)).mapToInt(Plot::items).sum();
    LOG.info("plot: wrote {} to {}", plots.stream().map(Plot::name).toList(), output);
    return new Result(output, plots, points);
  }

  /**
   * For {@code train}: renders the plots of a freshly trained network from a sample of {@code frame} now, and returns
   * the writer that puts them into the model directory's {@code plots/} before it is committed. When plots are
   * disabled, or rendering fails, the model is written without them (the failure is logged with the {@code plot}
   * command that makes them later): a plot never costs a trained model.
   */
  static ModelArtifact.ExtraFiles modelFiles(SparkSession spark, PlotSettings settings, MultiLayerNetwork net,
      List<EpochMetrics> metrics, Dataset<Row> frame, RowReader check, String model, String source) {
    if (!settings.enabled()) {
      return (fs, staging) -> { };
    }
    List<Plot> plots;
    try {
      spark.sparkContext().setJobDescription(String.format("train: plots from %d rows of %s",
          settings.latentPoints(), source));
      plots = render(net, metrics, frame, check, source, settings);
    } catch (Exception | LinkageError | AWTError | InternalError e) {
      // Exception includes Spark's undeclared checked ones; the errors are how AWT reports missing fonts.
      LOG.warn("train: the model is written without plots: {}; make them with: plot --model {} --input {}",
          e.getMessage(), model, source, e);
      return (fs, staging) -> { };
    }
    return (fs, staging) -> ModelPlots.write(plots, fs, new Path(staging, PLOTS));
  }

  private static List<Plot> render(MultiLayerNetwork net, List<EpochMetrics> metrics, Dataset<Row> frame,
      RowReader check, String source, PlotSettings settings) {
    PlotSample sample = PlotSamples.collect(frame, check, settings.latentPoints(), settings.seed());
    LOG.info("plot: {} sampled rows of {}", sample.size(), source);
    return ModelPlots.render(VaeMaths.of(net), metrics, sample, settings);
  }
}
