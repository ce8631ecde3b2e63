package dev.sparkvae.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureSchema;
import java.util.Map;

/**
 * The content of {@code model.json}: what a model expects and how it was made.
 *
 * @param formatVersion version of this layout
 * @param featureSchema the input layout the model was trained on
 * @param vae network shape
 * @param config the full resolved configuration of the training run
 * @param versions library versions (spark-vae, deeplearning4j, dl4j-spark, spark, java)
 * @param modelSha256 sha256 of {@code model.zip}, checked on load
 * @param createdAt ISO-8601 time of writing
 * @param epochs epochs trained
 * @param trainingExamples rows in the training set
 * @param anomalyQuantile the quantile taken as the anomaly threshold: 1 − {@code anomaly.false-positive-rate}
 * @param anomalyThreshold that quantile's value (nats): rows whose {@code anomalyScore} is above it are anomalies;
 *     null when not computed
 * @param scaling the preprocessing learned from the training rows (folded into the saved network); null in a
 *     model.json that does not record it, read as {@link FeatureScaling#none()}
 * @param onnx the ONNX graphs in the model directory for serving; null when there are none
 * @param anomalyScore the output the threshold applies to: {@code anomaly_score} (of the held-out rows), or, for a
 *     model that records none, {@code reconstruction_error} (of the training rows)
 * @param anomalyThresholdRows the rows the threshold's quantile was taken over; null when not recorded
 */
public record ModelInfo(int formatVersion, FeatureSchema featureSchema, VaeSpec vae, JsonNode config,
    Map<String, String> versions, String modelSha256, String createdAt, int epochs, long trainingExamples,
    Double anomalyQuantile, Double anomalyThreshold, FeatureScaling scaling, OnnxExports onnx, String anomalyScore,
    Long anomalyThresholdRows) {
  /** What {@link #anomalyScore()} says when a model records none. */
  public static final String RECONSTRUCTION_ERROR = "reconstruction_error";

  public static final int FORMAT_VERSION = 2;

  /** A copy with the checksum of the written model.zip. */
  public ModelInfo withModelSha256(String sha256) {
    return new ModelInfo(formatVersion, featureSchema, vae, config, versions, sha256, createdAt, epochs,
        trainingExamples, anomalyQuantile, anomalyThreshold, scaling, onnx, anomalyScore, anomalyThresholdRows);
  }

  /** A copy recording the ONNX graphs written beside model.zip ({@code null}: none). */
  public ModelInfo withOnnx(OnnxExports exports) {
    return new ModelInfo(formatVersion, featureSchema, vae, config, versions, modelSha256, createdAt, epochs,
        trainingExamples, anomalyQuantile, anomalyThreshold, scaling, exports, anomalyScore, anomalyThresholdRows);
  }

  /** The output the anomaly threshold applies to ({@value #RECONSTRUCTION_ERROR} when none is recorded). */
  public String thresholdScore() {
    return anomalyScore == null ? RECONSTRUCTION_ERROR : anomalyScore;
  }
}
