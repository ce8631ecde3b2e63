package dev.sparkvae.data;

import java.util.List;

/**
 * The feature layout a model was trained on, recorded in {@code model.json} and checked against every later
 * input.
 *
 * @param idColumn column of row ids
 * @param labelColumn optional label column ("" for none)
 * @param featuresColumn the array column holding the features, or "" when {@code featureColumns} is used
 * @param featureColumns the numeric columns forming the features, in order (empty when an array column is used)
 * @param featureCount length of the feature vector
 */
public record FeatureSchema(String idColumn, String labelColumn, String featuresColumn, List<String> featureColumns,
    int featureCount) {

  /** A short description for messages, e.g. {@code features: array of 784 floats}. */
  public String describe() {
    return featureColumns.isEmpty()
        ? featuresColumn + ": array of " + featureCount + " numbers"
        : featureCount + " numeric columns " + featureColumns;
  }
}
