package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;
import static org.apache.spark.sql.functions.sum;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.AtomicFile;
import dev.sparkvae.io.JsonFiles;
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

/**
 * {@code evaluate}: summaries of a model on a dataset as JSON: rows; mean negative ELBO per example; mean, median,
 * 99th percentile and max of the reconstruction error and of the anomaly score; mean and min of the
 * importance-sampled log-likelihood (all in nats); the rows {@code is_anomaly} flags. With {@code normalLabels}, on an
 * input with the model's label column: the realised false-positive rate (normal rows flagged), the detection rate
 * (other rows flagged) and the AUROC of the anomaly score. Computed on the executors; only the summary reaches the
 * driver. The noise is seeded per row, so the same data gives the same figures.
 */
public final class EvaluateJob {
  /**
   * @param output JSON file to write (any Hadoop path), or null to only return the summary
   * @param samples importance samples for the log-likelihood
   * @param checks what to do with bad rows (fail or skip: evaluate writes no dataset to quarantine rows into),
   *     corrupt files and duplicate ids
   * @param engine inference engine: onnxruntime | nd4j
   * @param threads native threads of the engine per task
   * @param normalLabels the values of the model's label column that mark normal rows ({@code anomaly.normal-labels});
   *     empty for no detection figures
   */
  public record Options(String input, String model, String output, int samples, int batchSize, String format,
      boolean overwrite, InputChecks checks, String engine, int threads, List<Integer> normalLabels) {
    /** Options on ONNX Runtime with one thread per task, without detection figures. */
    public Options(String input, String model, String output, int samples, int batchSize, String format,
        boolean overwrite, InputChecks checks) {
      this(input, model, output, samples, batchSize, format, overwrite, checks, InferenceEngines.ONNXRUNTIME, 1,
          List.of());
    }
  }

  private static final String NORMAL = "__sparkvae_normal";

  private final SparkSession spark;
  private final Options options;

  public EvaluateJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  /** The summary (also written to {@code output} when set). */
  public ObjectNode run() throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    if (options.output() != null) {
      AtomicDirectory.checkWritable(options.output(), options.overwrite(), hadoopConf);
    }
    if (options.checks().onBadRows() == BadRowPolicy.QUARANTINE) {
      throw new IllegalArgumentException("Cannot quarantine bad rows in evaluate: it writes no dataset; use "
          + "--on-bad-rows skip (bad rows are counted in the summary), or reconstruct with --on-bad-rows quarantine");
    }
    boolean labelled = !options.normalLabels().isEmpty();
    ScoringInput input = open(labelled);
    RowCounters counters = RowCounters.register(spark.sparkContext(), "evaluate");
    spark.sparkContext().setJobDescription("evaluate: " + options.input());
    boolean flags = !Double.isNaN(input.model().getAnomalyThreshold());
    List<String> outputs = new ArrayList<>(List.of(RowScoring.RECONSTRUCTION_ERROR, RowScoring.ANOMALY_SCORE,
        RowScoring.LOG_PROB, RowScoring.NEGATIVE_ELBO));
    if (flags) {
      outputs.add(RowScoring.IS_ANOMALY);
    }
    Dataset<Row> scored = input.model()
        .setOutputCols(outputs.toArray(new String[0]))
        .setSamples(options.samples())
        .setBatchSize(options.batchSize())
        .setEngine(options.engine(), options.threads())
        .setSkipBadRows(options.checks().onBadRows() == BadRowPolicy.SKIP)
        .transformKeeping(input.frame(), counters.readAccumulator(), counters.badAccumulator(),
            labelled ? new String[] {input.info().featureSchema().labelColumn()} : new String[0]);
    if (labelled) {
      scored = scored.withColumn(NORMAL, col(input.info().featureSchema().labelColumn()).cast(DataTypes.IntegerType)
          .isin(options.normalLabels().toArray())).persist(StorageLevel.MEMORY_AND_DISK());
    }
    List<Column> summaries = new ArrayList<>(List.of(count(lit(1)), avg(col(RowScoring.NEGATIVE_ELBO))));
    summaries.addAll(spread(RowScoring.RECONSTRUCTION_ERROR));
    summaries.addAll(spread(RowScoring.ANOMALY_SCORE));
    summaries.addAll(List.of(avg(col(RowScoring.LOG_PROB)), min(col(RowScoring.LOG_PROB))));
    Column flagged = flags ? col(RowScoring.IS_ANOMALY).cast(DataTypes.LongType) : lit(0L);
    Column normal = labelled ? col(NORMAL).cast(DataTypes.LongType) : lit(0L);
    summaries.addAll(List.of(sum(flagged), sum(normal), sum(flagged.multiply(normal))));
    Row row = scored.agg(summaries.get(0), summaries.subList(1, summaries.size()).toArray(new Column[0])).first();
    ObjectNode summary = JsonFiles.MAPPER.createObjectNode();
    summary.put("input", options.input());
    summary.put("model", options.model());
    summary.put("rows", row.getLong(0));
    summary.put("rows_read", counters.read());
    summary.put("rows_skipped", counters.bad());
    summary.put("duplicate_ids", input.duplicateIds(spark));
    summary.set("corrupt_files_skipped", JsonFiles.MAPPER.valueToTree(input.files().corrupt().keySet()));
    summary.put("samples", options.samples());
    summary.put("negative_elbo_mean", number(row, 1));
    String[] statistics = {"mean", "p50", "p99", "max"};
    for (int i = 0; i < statistics.length; i++) {
      summary.put("reconstruction_error_" + statistics[i], number(row, 2 + i));
      summary.put("anomaly_score_" + statistics[i], number(row, 6 + i));
    }
    summary.put("log_prob_mean", number(row, 10));
    summary.put("log_prob_min", number(row, 11));
    if (flags) {
      summary.put("anomaly_threshold", input.model().getAnomalyThreshold());
      summary.put("rows_flagged", row.getLong(12));
    }
    if (labelled) {
      detection(summary, scored, row.getLong(0), row.getLong(13), flags ? row.getLong(12) : 0, row.getLong(14));
      scored.unpersist();
    }
    if (options.output() != null) {
      AtomicFile.write(options.output(), JsonFiles.MAPPER.writeValueAsBytes(summary), hadoopConf);
    }
    return summary;
  }

  /** The input, with the model's label column kept when {@code labelled}. */
  private ScoringInput open(boolean labelled) throws IOException {
    if (!labelled) {
      return ScoringInput.open(spark, options.model(), options.input(), options.format(), List.of(),
          options.checks());
    }
    String label = ModelArtifact.readInfo(options.model(), spark.sparkContext().hadoopConfiguration())
        .featureSchema().labelColumn();
    if (label.isBlank()) {
      throw new IllegalArgumentException("Cannot report detection figures for anomaly.normal-labels "
          + options.normalLabels() + ": the model in " + options.model() + " records no label column");
    }
    return ScoringInput.open(spark, options.model(), options.input(), options.format(), List.of(label),
        options.checks());
  }

  /** Mean, median, 99th percentile and max of an output. */
  private static List<Column> spread(String output) {
    Column value = col(output);
    return List.of(avg(value), percentile_approx(value, lit(0.5), lit(10000)),
        percentile_approx(value, lit(0.99), lit(10000)), max(value));
  }

  /** The false-positive and detection rates of the flags and the AUROC of the anomaly score against the labels. */
  private static void detection(ObjectNode summary, Dataset<Row> scored, long rows, long normal, long flagged,
      long flaggedNormal) {
    summary.put("normal_rows", normal);
    summary.put("anomalous_rows", rows - normal);
    summary.put("false_positive_rate", normal == 0 ? Double.NaN : flaggedNormal / (double) normal);
    summary.put("detection_rate", rows == normal ? Double.NaN : (flagged - flaggedNormal) / (double) (rows - normal));
    Dataset<Row> labels = scored.select(col(RowScoring.ANOMALY_SCORE).cast(DataTypes.DoubleType).as("score"),
        functions.when(col(NORMAL), 0.0).otherwise(1.0).as("anomalous"));
    summary.put("anomaly_score_auroc", normal == 0 || rows == normal ? Double.NaN
        : new BinaryClassificationEvaluator().setRawPredictionCol("score").setLabelCol("anomalous").setNumBins(0)
            .evaluate(labels));
  }

  private static double number(Row row, int index) {
    return row.isNullAt(index) ? Double.NaN : ((Number) row.get(index)).doubleValue();
  }
}
