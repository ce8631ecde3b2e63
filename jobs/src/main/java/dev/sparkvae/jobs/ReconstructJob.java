package dev.sparkvae.jobs;

import dev.sparkvae.data.RowCounts;
import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.ml.VaeModel;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code reconstruct}: per-row reconstruction and anomaly scores. Output Parquet: {@code id},
 * {@code reconstruction_error} (−log p(x|z) at z = the latent mean, nats), {@code anomaly_score} (its deviance: the
 * misfit, see {@link dev.sparkvae.inference.BatchScorer}), {@code log_prob} (importance-sampled log p(x) with
 * {@code samples} samples, Burda et al. 2015), {@code reconstruction} (array&lt;float&gt;, only with
 * {@code withReconstruction}), {@code is_anomaly} (the anomaly score above the model's recorded threshold, or
 * {@code threshold} when given), {@code attribution} (only with {@code withAttribution}: the K features contributing
 * most to the anomaly score, see {@link RowScoring#attributionType()}), then the columns named in {@code keep}.
 *
 * <p>Sampling noise is seeded by the model checksum and the row id: a re-run or a retried task writes identical
 * values. A {@link ScoringRun}: output committed atomically; never over an existing path unless {@code overwrite} is
 * set.
 */
public final class ReconstructJob {
  private static final Logger LOG = LoggerFactory.getLogger(ReconstructJob.class);

  /** The options of reconstruct, with their flags: those of {@link SampledScoringOptions} and the ones below. */
  public static final class Options extends SampledScoringOptions<Options> {
    @Mixin RowsOutput rows = new RowsOutput();

    @Option(names = "--with-reconstruction", description = "Also write the reconstruction (array<float>).")
    boolean withReconstruction;

    @Option(names = "--with-attribution", paramLabel = "K",
        description = "Also write the K features contributing most to each row's anomaly_score, from 1 to the "
            + "feature count (default: 0, none).")
    int withAttribution;

    @Option(names = "--threshold", paramLabel = "NATS",
        description = "Anomaly threshold on the model's threshold score, anomaly_score (reconstruction_error for "
            + "models that record it instead; default: the threshold recorded in the model).")
    Double threshold;

    /** The Parquet output directory (required) and the input columns copied to it. */
    public Options output(String dir, String... keep) {
      rows.set(dir, keep);
      return this;
    }

    /** Also write the reconstruction (array&lt;float&gt;, in the input's units). */
    public Options withReconstruction(boolean value) {
      withReconstruction = value;
      return this;
    }

    /**
     * Also write the {@code features} features contributing most to each row's anomaly score, each with its value
     * and expected value; 0 (the default) for none. At most the model's feature count. Danger: each row gets K
     * structs, so a K near the feature count writes several times the input's size.
     */
    public Options withAttribution(int features) {
      withAttribution = features;
      return this;
    }

    /** The anomaly threshold in nats instead of the model's; null for the model's. */
    public Options threshold(Double nats) {
      threshold = nats;
      return this;
    }
  }

  /**
   * What was written.
   *
   * @param threshold the anomaly threshold applied
   */
  public record Result(String output, RowCounts counts, double threshold, Map<String, String> corruptFiles,
      String engine) implements ScoredRows {
    @Override
    public String message() {
      return String.format("Scored %d rows to %s (anomaly threshold %.3f nats)%s", rows(), output, threshold,
          inputReport());
    }
  }

  private final SparkSession spark;
  private final Options options;

  public ReconstructJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    ScoringRun run = ScoringRun.open(spark, "reconstruct", options, options.rows);
    VaeModel model = run.model();
    String attribution = BatchScorer.attributionProblem(options.withAttribution, model.featureCount());
    if (attribution != null) {
      throw new IllegalArgumentException("Cannot use --with-attribution " + options.withAttribution + ": "
          + attribution);
    }
    if (options.threshold != null) {
      model.setAnomalyThreshold(options.threshold);
    }
    List<String> outputs = new ArrayList<>(List.of(RowScoring.RECONSTRUCTION_ERROR, RowScoring.ANOMALY_SCORE,
        RowScoring.LOG_PROB));
    if (options.withReconstruction) {
      outputs.add(RowScoring.RECONSTRUCTION);
    }
    outputs.add(RowScoring.IS_ANOMALY);
    model.setOutputCols(outputs.toArray(new String[0])).setSamples(options.samples).setBatchSize(options.batchSize)
        .setAttributionFeatures(options.withAttribution);
    RowCounts counts = run.write(options.rows);
    double threshold = model.getAnomalyThreshold();
    LOG.info("reconstruct: wrote {} rows to {} (anomaly threshold {}; {})", counts.written(), options.rows.dir,
        threshold, counts);
    return new Result(options.rows.dir, counts, threshold, run.files().corrupt(), options.inference.engine());
  }
}
