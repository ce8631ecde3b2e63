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
 */
public record ModelInfo(int formatVersion, FeatureSchema featureSchema, VaeSpec vae, JsonNode config,
    Map<String, String> versions, String modelSha256, String createdAt, int epochs, long trainingExamples,
    Double anomalyQuantile, Double anomalyThreshold) {

  public static final int FORMAT_VERSION = 1;

  /** A copy with the checksum of the written model.zip. */
  public ModelInfo withModelSha256(String sha256) {
    return new ModelInfo(formatVersion, featureSchema, vae, config, versions, sha256, createdAt, epochs,
        trainingExamples, anomalyQuantile, anomalyThreshold);
  }
}
