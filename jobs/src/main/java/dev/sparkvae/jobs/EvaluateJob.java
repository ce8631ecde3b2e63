package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.percentile_approx;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.AtomicFile;
import dev.sparkvae.jobs.spark.RowCounters;
import dev.sparkvae.jobs.spark.RowScoring;
import dev.sparkvae.model.Json;
import dev.sparkvae.model.engine.EncoderEngines;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code evaluate}: summaries of a model on a dataset as JSON: rows; mean negative ELBO per example; mean, median,
 * 99th percentile and max of the reconstruction error; mean and min of the importance-sampled log-likelihood
 * (all in nats). Computed on the executors; only the summary reaches the driver. The noise is seeded per row, so
 * the same data gives the same figures.
 */
public final class EvaluateJob {
  /**
   * @param output JSON file to write (any Hadoop path), or null to only return the summary
   * @param samples importance samples for the log-likelihood
   * @param checks what to do with bad rows (fail or skip: evaluate writes no dataset to quarantine rows into),
   *     corrupt files and duplicate ids
   * @param engine inference engine: onnxruntime | nd4j
   * @param threads native threads of the engine per task
   */
  public record Options(String input, String model, String output, int samples, int batchSize, String format,
      boolean overwrite, InputChecks checks, String engine, int threads) {
    /** Options on ONNX Runtime with one thread per task. */
    public Options(String input, String model, String output, int samples, int batchSize, String format,
        boolean overwrite, InputChecks checks) {
      this(input, model, output, samples, batchSize, format, overwrite, checks, EncoderEngines.ONNXRUNTIME, 1);
    }
  }

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
    ScoringInput input = ScoringInput.open(spark, options.model(), options.input(), options.format(), List.of(),
        options.checks());
    RowCounters counters = RowCounters.register(spark.sparkContext(), "evaluate");
    spark.sparkContext().setJobDescription("evaluate: " + options.input());
    Column error = col(RowScoring.RECONSTRUCTION_ERROR);
    Column logProb = col(RowScoring.LOG_PROB);
    List<Column> summaries = List.of(count(lit(1)), avg(col(RowScoring.NEGATIVE_ELBO)), avg(error),
        percentile_approx(error, lit(0.5), lit(10000)), percentile_approx(error, lit(0.99), lit(10000)), max(error),
        avg(logProb), min(logProb));
    Row row = input.model()
        .setOutputCols(RowScoring.RECONSTRUCTION_ERROR, RowScoring.LOG_PROB, RowScoring.NEGATIVE_ELBO)
        .setSamples(options.samples())
        .setBatchSize(options.batchSize())
        .setEngine(options.engine(), options.threads())
        .setSkipBadRows(options.checks().onBadRows() == BadRowPolicy.SKIP)
        .transformKeeping(input.frame(), counters.readAccumulator(), counters.badAccumulator())
        .agg(summaries.get(0), summaries.subList(1, summaries.size()).toArray(new Column[0]))
        .first();
    ObjectNode summary = Json.MAPPER.createObjectNode();
    summary.put("input", options.input());
    summary.put("model", options.model());
    summary.put("rows", row.getLong(0));
    summary.put("rows_read", counters.read());
    summary.put("rows_skipped", counters.bad());
    summary.put("duplicate_ids", input.duplicateIds(spark));
    summary.set("corrupt_files_skipped", Json.MAPPER.valueToTree(input.files().corrupt().keySet()));
    summary.put("samples", options.samples());
    summary.put("negative_elbo_mean", number(row, 1));
    summary.put("reconstruction_error_mean", number(row, 2));
    summary.put("reconstruction_error_p50", number(row, 3));
    summary.put("reconstruction_error_p99", number(row, 4));
    summary.put("reconstruction_error_max", number(row, 5));
    summary.put("log_prob_mean", number(row, 6));
    summary.put("log_prob_min", number(row, 7));
    if (options.output() != null) {
      AtomicFile.write(options.output(), Json.MAPPER.writeValueAsBytes(summary), hadoopConf);
    }
    return summary;
  }

  private static double number(Row row, int index) {
    return row.isNullAt(index) ? Double.NaN : ((Number) row.get(index)).doubleValue();
  }
}
