package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.sum;

import dev.sparkvae.config.Settings;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.AtomicFile;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.ml.VaeModel;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.evaluation.BinaryClassificationEvaluator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine.Option;

/**
 * {@code evaluate}: the figures of a model on a dataset ({@link Evaluation}), computed on the executors (only they
 * reach the driver), and the {@link PlotJob} plots of the model on it. The noise is seeded per row, so the same data
 * gives the same figures.
 *
 * <pre>{@code
 * Evaluation figures = new EvaluateJob(spark, new EvaluateJob.Options().input("test").model("model")).run();
 * }</pre>
 *
 * <p>Dangers: plots are on by default ({@code plot.enabled}), into {@code MODEL/plots/INPUT-NAME}, and, like the
 * JSON file, never over an existing path unless {@code overwrite} is set; both are checked before any work. Bad
 * rows can be skipped, not quarantined: evaluate writes no dataset.
 */
public final class EvaluateJob {
  private static final String NORMAL = "__sparkvae_normal";

  /** The options of evaluate, with their flags: those of {@link SampledScoringOptions} and the ones below. */
  public static final class Options extends SampledScoringOptions<Options> {
    @Option(names = "--output", paramLabel = "FILE", description = "Also write the JSON summary to FILE.")
    String output;

    @Option(names = "--plots", paramLabel = "DIR",
        description = "Directory of the plots (default: MODEL/plots/INPUT-NAME; none with plot.enabled=false).")
    String plots;

    List<Integer> normalLabels = normalLabels(Settings.defaults());

    /** Also write the figures as JSON to this file (any Hadoop path). */
    public Options output(String file) {
      output = file;
      return this;
    }

    /** The plots' directory instead of {@link PlotJob#defaultOutput}. */
    public Options plots(String dir) {
      plots = dir;
      return this;
    }

    /** The values of the model's label column that mark normal rows; empty for no detection figures. */
    public Options normalLabels(List<Integer> labels) {
      normalLabels = List.copyOf(labels);
      return this;
    }

    /** As {@link ScoringOptions#settings}, and the normal labels of {@code anomaly.normal-labels}. */
    @Override
    public Options settings(Settings settings) {
      super.settings(settings);
      normalLabels = normalLabels(settings);
      return this;
    }

    private static List<Integer> normalLabels(Settings settings) {
      return settings.integerList("anomaly.normal-labels");
    }
  }

  private final SparkSession spark;
  private final Options options;

  public EvaluateJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  /** The figures (also written to {@code output} when set), after the plots (unless disabled). */
  public Evaluation run() throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    PlotJob plots = options.plot.enabled()
        ? new PlotJob(spark, new PlotJob.Options().from(options).output(options.plots)) : null;
    if (plots != null) {
      AtomicDirectory.checkWritable(plots.output(), options.overwrite, hadoopConf);
    }
    if (options.output != null) {
      AtomicDirectory.checkWritable(options.output, options.overwrite, hadoopConf);
    }
    if (options.checks.onBadRows() == BadRowPolicy.QUARANTINE) {
      throw new IllegalArgumentException("Cannot quarantine bad rows in evaluate: it writes no dataset; use "
          + "--on-bad-rows skip (bad rows are counted in the summary), or reconstruct with --on-bad-rows quarantine");
    }
    List<String> labels = labelColumn(hadoopConf);
    ScoringRun run = ScoringRun.open(spark, "evaluate", options, labels);
    spark.sparkContext().setJobDescription("evaluate: " + options.input);
    VaeModel model = run.model();
    boolean flags = !Double.isNaN(model.getAnomalyThreshold());
    List<String> outputs = new ArrayList<>(List.of(RowScoring.RECONSTRUCTION_ERROR, RowScoring.ANOMALY_SCORE,
        RowScoring.LOG_PROB, RowScoring.NEGATIVE_ELBO));
    if (flags) {
      outputs.add(RowScoring.IS_ANOMALY);
    }
    model.setOutputCols(outputs.toArray(new String[0])).setSamples(options.samples).setBatchSize(options.batchSize);
    Dataset<Row> scored = run.score(labels.toArray(new String[0]));
    if (!labels.isEmpty()) {
      scored = scored.withColumn(NORMAL, col(labels.get(0)).cast(DataTypes.IntegerType)
          .isin(options.normalLabels.toArray())).persist(StorageLevel.MEMORY_AND_DISK());
    }
    List<Column> summaries = new ArrayList<>(List.of(count(lit(1)), avg(col(RowScoring.NEGATIVE_ELBO))));
    summaries.addAll(spread(RowScoring.RECONSTRUCTION_ERROR));
    summaries.addAll(spread(RowScoring.ANOMALY_SCORE));
    summaries.addAll(List.of(avg(col(RowScoring.LOG_PROB)), min(col(RowScoring.LOG_PROB))));
    Column flagged = flags ? col(RowScoring.IS_ANOMALY).cast(DataTypes.LongType) : lit(0L);
    Column normal = labels.isEmpty() ? lit(0L) : col(NORMAL).cast(DataTypes.LongType);
    summaries.addAll(List.of(sum(flagged), sum(normal), sum(flagged.multiply(normal))));
    Row row = scored.agg(summaries.get(0), summaries.subList(1, summaries.size()).toArray(new Column[0])).first();
    long rows = row.getLong(0);
    RowCounts counts = new RowCounts(run.counters().read(), rows, run.counters().bad(), 0, run.duplicateIds());
    Evaluation.Detection detection = null;
    if (!labels.isEmpty()) {
      detection = detection(scored, rows, row.getLong(13), flags ? row.getLong(12) : 0, row.getLong(14));
      scored.unpersist();
    }
    Evaluation evaluation = new Evaluation(options.input, options.model, counts, run.files().corrupt(),
        options.samples, number(row, 1), spread(row, 2), spread(row, 6), number(row, 10), number(row, 11),
        flags ? new Evaluation.Flags(model.getAnomalyThreshold(), row.getLong(12)) : null, detection,
        options.output, plots == null ? null : plots.output());
    if (options.output != null) {
      AtomicFile.write(options.output, JsonFiles.MAPPER.writeValueAsBytes(evaluation.toJson()), hadoopConf);
    }
    if (plots != null) {
      plots.run();
    }
    return evaluation;
  }

  /** The model's label column when detection figures are asked, checked before the input is read. */
  private List<String> labelColumn(Configuration hadoopConf) throws IOException {
    if (options.normalLabels.isEmpty()) {
      return List.of();
    }
    String label = ModelArtifact.readInfo(options.model, hadoopConf).featureSchema().labelColumn();
    if (label.isBlank()) {
      throw new IllegalArgumentException("Cannot report detection figures for anomaly.normal-labels "
          + options.normalLabels + ": the model in " + options.model + " records no label column");
    }
    return List.of(label);
  }

  /** Mean, median, 99th percentile and max of an output. */
  private static List<Column> spread(String output) {
    Column value = col(output);
    return List.of(avg(value), percentile_approx(value, lit(0.5), lit(10000)),
        percentile_approx(value, lit(0.99), lit(10000)), max(value));
  }

  private static Evaluation.Spread spread(Row row, int first) {
    return new Evaluation.Spread(number(row, first), number(row, first + 1), number(row, first + 2),
        number(row, first + 3));
  }

  /** The false-positive and detection rates of the flags and the AUROC of the anomaly score against the labels. */
  private static Evaluation.Detection detection(Dataset<Row> scored, long rows, long normal, long flagged,
      long flaggedNormal) {
    Dataset<Row> labels = scored.select(col(RowScoring.ANOMALY_SCORE).cast(DataTypes.DoubleType).as("score"),
        functions.when(col(NORMAL), 0.0).otherwise(1.0).as("anomalous"));
    double auroc = normal == 0 || rows == normal ? Double.NaN
        : new BinaryClassificationEvaluator().setRawPredictionCol("score").setLabelCol("anomalous").setNumBins(0)
            .evaluate(labels);
    return new Evaluation.Detection(normal, rows - normal, normal == 0 ? Double.NaN : flaggedNormal / (double) normal,
        rows == normal ? Double.NaN : (flagged - flaggedNormal) / (double) (rows - normal), auroc);
  }

  private static double number(Row row, int index) {
    return row.isNullAt(index) ? Double.NaN : ((Number) row.get(index)).doubleValue();
  }
}
