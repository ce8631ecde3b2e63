package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.ml.VaeModel;
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
 * {@code reconstruct}: per-row reconstruction and anomaly scores. Output Parquet: {@code id},
 * {@code reconstruction_error} (−log p(x|z) at z = the latent mean, nats), {@code anomaly_score} (its deviance: the
 * misfit, see {@link dev.sparkvae.inference.BatchScorer}), {@code log_prob} (importance-sampled log p(x) with
 * {@code samples} samples, Burda et al. 2015), {@code reconstruction} (array&lt;float&gt;, only with
 * {@code withReconstruction}), {@code is_anomaly} (the anomaly score above the model's recorded threshold, or
 * {@code threshold} when given), then the columns named in {@code keep}.
 *
 * <p>Sampling noise is seeded by the model checksum and the row id: a re-run or a retried task writes identical
 * values. Output committed atomically; never over an existing path unless {@code overwrite} is set.
 */
public final class ReconstructJob {
  private static final Logger LOG = LoggerFactory.getLogger(ReconstructJob.class);

  /**
   * @param samples importance samples for log_prob (positive)
   * @param threshold anomaly threshold overriding the model's; null to use the model's
   * @param batchSize rows per forward pass (each decodes batchSize × samples rows)
   * @param checks what to do with bad rows, corrupt files and duplicate ids
   * @param engine inference engine: onnxruntime | nd4j
   * @param threads native threads of the engine per task
   */
  public record Options(String input, String model, String output, List<String> keep, int samples,
      boolean withReconstruction, Double threshold, int batchSize, String format, boolean overwrite,
      InputChecks checks, String engine, int threads) {
    /** Options on ONNX Runtime with one thread per task. */
    public Options(String input, String model, String output, List<String> keep, int samples,
        boolean withReconstruction, Double threshold, int batchSize, String format, boolean overwrite,
        InputChecks checks) {
      this(input, model, output, keep, samples, withReconstruction, threshold, batchSize, format, overwrite, checks,
          InferenceEngines.ONNXRUNTIME, 1);
    }
  }

  /**
   * What was written.
   *
   * @param corruptFiles input files left out as corrupt, with the reason
   */
  public record Result(String output, RowCounts counts, double threshold, Map<String, String> corruptFiles) {
    /** Rows written. */
    public long rows() {
      return counts.written();
    }
  }

  private final SparkSession spark;
  private final Options options;

  public ReconstructJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    AtomicDirectory.checkWritable(options.output(), options.overwrite(), spark.sparkContext().hadoopConfiguration());
    ScoringInput input = ScoringInput.open(spark, options.model(), options.input(), options.format(), options.keep(),
        options.checks());
    RowCounters counters = RowCounters.register(spark.sparkContext(), "reconstruct");
    VaeModel model = input.model();
    if (options.threshold() != null) {
      model.setAnomalyThreshold(options.threshold());
    }
    List<String> outputs = new ArrayList<>(List.of(RowScoring.RECONSTRUCTION_ERROR, RowScoring.ANOMALY_SCORE,
        RowScoring.LOG_PROB));
    if (options.withReconstruction()) {
      outputs.add(RowScoring.RECONSTRUCTION);
    }
    outputs.add(RowScoring.IS_ANOMALY);
    List<String> kept = new ArrayList<>(List.of(FeatureFrames.ID));
    kept.addAll(options.keep());
    List<Column> columns = new ArrayList<>(List.of(col(FeatureFrames.ID)));
    outputs.forEach(name -> columns.add(col(name)));
    options.keep().forEach(name -> columns.add(col(name)));
    spark.sparkContext().setJobDescription("reconstruct: " + options.input() + " to " + options.output());
    RowCounts counts = input.writeParquet(spark, model
        .setOutputCols(outputs.toArray(new String[0]))
        .setSamples(options.samples())
        .setBatchSize(options.batchSize())
        .setEngine(options.engine(), options.threads())
        .setSkipBadRows(options.checks().onBadRows() != BadRowPolicy.FAIL)
        .transformKeeping(input.frame(), counters.readAccumulator(), counters.badAccumulator(),
            kept.toArray(new String[0]))
        .select(columns.toArray(new Column[0])), counters, options.output());
    double threshold = model.getAnomalyThreshold();
    LOG.info("reconstruct: wrote {} rows to {} (anomaly threshold {}; {})", counts.written(), options.output(),
        threshold, counts);
    return new Result(options.output(), counts, threshold, input.files().corrupt());
  }
}
