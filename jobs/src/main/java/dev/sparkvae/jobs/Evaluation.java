package dev.sparkvae.jobs;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.io.RunSummary;
import java.util.List;
import java.util.Map;

/**
 * The figures of a model on a dataset, from {@link EvaluateJob}, in nats; {@link #toJson} is the summary evaluate
 * prints and writes, with snake_case keys ({@code reconstruction_error_p99}, {@code anomaly_score_auroc}, ...).
 *
 * @param counts rows read, evaluated ({@code written}) and skipped as bad; duplicate ids (-1 when not counted)
 * @param corruptFiles input files left out as corrupt, with the reason
 * @param samples importance samples per row
 * @param negativeElboMean the mean negative ELBO per row
 * @param logProbMean the mean importance-sampled log-likelihood (Burda et al. 2015)
 * @param logProbMin its minimum
 * @param flags the anomaly threshold and the rows above it; null when the model records no threshold
 * @param detection the figures against the labels; null without normal labels
 * @param output the JSON file written, or null
 * @param plots the directory of the plots, or null when they are disabled
 */
public record Evaluation(String input, String model, RowCounts counts, Map<String, String> corruptFiles, int samples,
    double negativeElboMean, Spread reconstructionError, Spread anomalyScore, double logProbMean, double logProbMin,
    Flags flags, Detection detection, String output, String plots) implements JobResult {
  /** The mean, median, 99th percentile and max of a per-row figure (NaN when there are no rows). */
  public record Spread(double mean, double p50, double p99, double max) {
    private static final List<String> NAMES = List.of("mean", "p50", "p99", "max");

    List<Double> values() {
      return List.of(mean, p50, p99, max);
    }
  }

  /**
   * @param threshold the anomaly threshold in force (nats of the model's threshold score)
   * @param rows the rows {@code is_anomaly} flags
   */
  public record Flags(double threshold, long rows) {}

  /**
   * @param normalRows the rows whose label marks them normal
   * @param anomalousRows the others
   * @param falsePositiveRate the normal rows flagged, as a share of them
   * @param detectionRate the anomalous rows flagged, as a share of them
   * @param anomalyScoreAuroc the AUROC of {@code anomaly_score} for anomalous against normal rows
   */
  public record Detection(long normalRows, long anomalousRows, double falsePositiveRate, double detectionRate,
      double anomalyScoreAuroc) {}

  /** Rows evaluated. */
  public long rows() {
    return counts.written();
  }

  /** The figures as evaluate prints and writes them. */
  public ObjectNode toJson() {
    ObjectNode json = JsonFiles.MAPPER.createObjectNode();
    json.put("input", input);
    json.put("model", model);
    json.put("rows", rows());
    json.put("rows_read", counts.read());
    json.put("rows_skipped", counts.skipped());
    json.put("duplicate_ids", counts.duplicateIds());
    json.set("corrupt_files_skipped", JsonFiles.MAPPER.valueToTree(corruptFiles.keySet()));
    json.put("samples", samples);
    json.put("negative_elbo_mean", negativeElboMean);
    for (int i = 0; i < Spread.NAMES.size(); i++) {
      json.put("reconstruction_error_" + Spread.NAMES.get(i), reconstructionError.values().get(i));
      json.put("anomaly_score_" + Spread.NAMES.get(i), anomalyScore.values().get(i));
    }
    json.put("log_prob_mean", logProbMean);
    json.put("log_prob_min", logProbMin);
    if (flags != null) {
      json.put("anomaly_threshold", flags.threshold());
      json.put("rows_flagged", flags.rows());
    }
    if (detection != null) {
      json.put("normal_rows", detection.normalRows());
      json.put("anomalous_rows", detection.anomalousRows());
      json.put("false_positive_rate", detection.falsePositiveRate());
      json.put("detection_rate", detection.detectionRate());
      json.put("anomaly_score_auroc", detection.anomalyScoreAuroc());
    }
    return json;
  }

  @Override
  public String message() {
    return toJson().toPrettyString();
  }

  @Override
  public void summarize(RunSummary.Builder summary) {
    summary.output("output", output).count("rows", rows()).count("rows_read", counts.read())
        .count("rows_skipped", counts.skipped()).count("duplicate_ids", counts.duplicateIds()).throughput(rows())
        .output("plots", plots);
  }
}
