package dev.sparkvae.jobs;

import dev.sparkvae.data.RowCounts;
import dev.sparkvae.ml.VaeScoringParams;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code encode}: every row of a dataset to the mean and log-variance of q(z|x). Output Parquet: {@code id}
 * (long), {@code z_mean} and {@code z_log_var} (array&lt;float&gt; of the latent size, or Spark ML vectors with
 * {@code vectorOutput}, which Spark ML's KMeans, PCA and LSH read as they are), then the input columns named in
 * {@code keep}.
 *
 * <pre>{@code
 * new EncodeJob(spark, new EncodeJob.Options().input("in").model("model").output("out", "label")).run();
 * }</pre>
 *
 * <p>The lean path: no decoder, no sampling, both latent heads in one GEMM. A {@link ScoringRun} of
 * {@link dev.sparkvae.ml.VaeModel}: the input is checked against the model's feature schema before any work,
 * partitions stream through fixed-size batches, the output is committed atomically and never over an existing path
 * unless {@code overwrite} is set.
 */
public final class EncodeJob {
  private static final Logger LOG = LoggerFactory.getLogger(EncodeJob.class);

  /** The options of encode, with their flags: those of {@link RowScoringOptions} and the ones below. */
  public static final class Options extends RowScoringOptions<Options> {
    @Mixin RowsOutput rows = new RowsOutput();

    @Option(names = "--batch-size", paramLabel = "N",
        description = "Rows per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize = VaeScoringParams.BATCH_SIZE_DEFAULT;

    @Option(names = "--vector-output",
        description = "Write z_mean and z_log_var as Spark ML vectors (for KMeans, PCA, LSH) instead of arrays.")
    boolean vectorOutput;

    /** The Parquet output directory (required) and the input columns copied to it. */
    public Options output(String dir, String... keep) {
      rows.set(dir, keep);
      return this;
    }

    /** Rows per forward pass. */
    public Options batchSize(int value) {
      batchSize = value;
      return this;
    }

    /** Write z_mean and z_log_var as Spark ML vectors (VectorUDT) instead of array&lt;float&gt;. */
    public Options vectorOutput(boolean value) {
      vectorOutput = value;
      return this;
    }
  }

  /**
   * What was written.
   *
   * @param vectors z_mean and z_log_var were written as vectors
   */
  public record Result(String output, RowCounts counts, int latentSize, Map<String, String> corruptFiles,
      boolean vectors, String engine) implements ScoredRows {
    @Override
    public String message() {
      return String.format("Encoded %d rows to %s (z_mean and z_log_var of size %d%s)%s", rows(), output, latentSize,
          vectors ? ", as vectors" : "", inputReport());
    }
  }

  private final SparkSession spark;
  private final Options options;

  public EncodeJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    ScoringRun run = ScoringRun.open(spark, "encode", options, options.rows);
    run.model().setOutputCols(RowScoring.Z_MEAN, RowScoring.Z_LOG_VAR).setBatchSize(options.batchSize)
        .setVectorOutput(options.vectorOutput);
    RowCounts counts = run.write(options.rows);
    int latentSize = run.info().vae().latentSize();
    LOG.info("encode: wrote {} rows of latent size {} to {} ({})", counts.written(), latentSize, options.rows.dir,
        counts);
    return new Result(options.rows.dir, counts, latentSize, run.files().corrupt(), options.vectorOutput,
        options.inference.engine());
  }
}
