package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code encode}: every row of a dataset to the mean and log-variance of q(z|x). Output Parquet: {@code id}
 * (long), {@code z_mean} and {@code z_log_var} (array&lt;float&gt; of the latent size, or Spark ML vectors with
 * {@code vectorOutput}, which Spark ML's KMeans, PCA and LSH read as they are), then the input columns named in
 * {@code keep}.
 *
 * <p>The lean path: no decoder, no sampling, both latent heads in one GEMM. A thin wrapper over
 * {@link dev.sparkvae.ml.VaeModel}: the input is checked against the model's feature schema before
 * any work, partitions stream through fixed-size batches, the output is committed atomically and never over an
 * existing path unless {@code overwrite} is set.
 */
public final class EncodeJob {
  private static final Logger LOG = LoggerFactory.getLogger(EncodeJob.class);

  /**
   * @param input rows to encode, Parquet or CSV ({@code format})
   * @param model model directory written by {@code train}
   * @param output output directory
   * @param keep input columns copied to the output
   * @param batchSize rows per forward pass
   * @param format parquet | csv
   * @param engine encoder engine: onnxruntime | nd4j
   * @param threads native threads of the engine per task
   * @param overwrite replace an existing output
   * @param checks what to do with bad rows, corrupt files and duplicate ids
   * @param vectorOutput write z_mean and z_log_var as Spark ML vectors (VectorUDT) instead of array&lt;float&gt;
   */
  public record Options(String input, String model, String output, List<String> keep, int batchSize, String format,
      String engine, int threads, boolean overwrite, InputChecks checks, boolean vectorOutput) {
    /** Options with the latent outputs as arrays. */
    public Options(String input, String model, String output, List<String> keep, int batchSize, String format,
        String engine, int threads, boolean overwrite, InputChecks checks) {
      this(input, model, output, keep, batchSize, format, engine, threads, overwrite, checks, false);
    }
  }

  /**
   * What was written.
   *
   * @param corruptFiles input files left out as corrupt, with the reason
   */
  public record Result(String output, RowCounts counts, int latentSize, Map<String, String> corruptFiles) {
    /** Rows written. */
    public long rows() {
      return counts.written();
    }
  }

  private final SparkSession spark;
  private final Options options;

  public EncodeJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    AtomicDirectory.checkWritable(options.output(), options.overwrite(), spark.sparkContext().hadoopConfiguration());
    ScoringInput input = ScoringInput.open(spark, options.model(), options.input(), options.format(), options.keep(),
        options.checks());
    RowCounters counters = RowCounters.register(spark.sparkContext(), "encode");
    List<String> kept = new ArrayList<>(List.of(FeatureFrames.ID));
    kept.addAll(options.keep());
    List<Column> columns = new ArrayList<>(List.of(col(FeatureFrames.ID), col(RowScoring.Z_MEAN),
        col(RowScoring.Z_LOG_VAR)));
    options.keep().forEach(name -> columns.add(col(name)));
    spark.sparkContext().setJobDescription("encode: " + options.input() + " to " + options.output());
    RowCounts counts = input.writeParquet(spark, input.model()
        .setOutputCols(RowScoring.Z_MEAN, RowScoring.Z_LOG_VAR)
        .setBatchSize(options.batchSize())
        .setEngine(options.engine(), options.threads())
        .setVectorOutput(options.vectorOutput())
        .setSkipBadRows(options.checks().onBadRows() != BadRowPolicy.FAIL)
        .transformKeeping(input.frame(), counters.readAccumulator(), counters.badAccumulator(),
            kept.toArray(new String[0]))
        .select(columns.toArray(new Column[0])), counters, options.output());
    int latentSize = input.info().vae().latentSize();
    LOG.info("encode: wrote {} rows of latent size {} to {} ({})", counts.written(), latentSize, options.output(),
        counts);
    return new Result(options.output(), counts, latentSize, input.files().corrupt());
  }
}
