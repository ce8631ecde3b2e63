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
 * @param anomalyQuantile the quantile of training reconstruction errors taken as the anomaly threshold
 * @param anomalyThreshold that quantile's value (nats): rows above it are anomalies; null when not computed
 * @param scaling the preprocessing learned from the training rows (folded into the saved network); null for a
 *     model written before it was recorded, which is {@link FeatureScaling#none()}
 * @param onnx the ONNX graphs in the model directory for serving; null when there are none
 */
public record ModelInfo(int formatVersion, FeatureSchema featureSchema, VaeSpec vae, JsonNode config,
    Map<String, String> versions, String modelSha256, String createdAt, int epochs, long trainingExamples,
    Double anomalyQuantile, Double anomalyThreshold, FeatureScaling scaling, OnnxExports onnx) {

  public static final int FORMAT_VERSION = 2;

  /** A copy with the checksum of the written model.zip. */
  public ModelInfo withModelSha256(String sha256) {
    return new ModelInfo(formatVersion, featureSchema, vae, config, versions, sha256, createdAt, epochs,
        trainingExamples, anomalyQuantile, anomalyThreshold, scaling, onnx);
  }

  /** A copy recording the ONNX graphs written beside model.zip ({@code null}: none). */
  public ModelInfo withOnnx(OnnxExports exports) {
    return new ModelInfo(formatVersion, featureSchema, vae, config, versions, modelSha256, createdAt, epochs,
        trainingExamples, anomalyQuantile, anomalyThreshold, scaling, exports);
  }

  /** The scaling the model was trained with ({@link FeatureScaling#none()} when none was recorded). */
  public FeatureScaling scalingOrNone() {
    return scaling == null ? FeatureScaling.none() : scaling;
  }
}
