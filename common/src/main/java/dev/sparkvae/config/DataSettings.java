package dev.sparkvae.config;

import java.util.List;

/**
 * Where the id, label and features are in the input (keys {@code data.*}).
 *
 * @param format parquet | csv
 * @param idColumn a column of unique integer ids
 * @param labelColumn an optional label column ("" for none)
 * @param featuresColumn an array column with all features; used when {@code featureColumns} is empty
 * @param featureColumns numeric columns that together form the feature vector, in this order
 * @param scaling auto | none | standardize | min-max: how features are scaled before training
 */
public record DataSettings(String format, String idColumn, String labelColumn, String featuresColumn,
    List<String> featureColumns, String scaling) {
  /** The values of {@code data.scaling}. */
  public static final List<String> SCALINGS = List.of("auto", "none", "standardize", "min-max");

  /** The layout alone, with the default scaling: how a model's recorded schema is read back. */
  public DataSettings(String format, String idColumn, String labelColumn, String featuresColumn,
      List<String> featureColumns) {
    this(format, idColumn, labelColumn, featuresColumn, featureColumns, "auto");
  }

  /** Reads {@code data.*}. */
  public static DataSettings from(Settings settings) {
    String id = settings.string("data.id-column");
    if (id.isBlank()) {
      throw new InvalidSettingException("Cannot set data.id-column to \"\": every row needs an id column");
    }
    List<String> columns = settings.stringList("data.feature-columns");
    String features = settings.string("data.features-column");
    if (columns.isEmpty() && features.isBlank()) {
      throw new InvalidSettingException(
          "Cannot set data.features-column to \"\" while data.feature-columns is empty: name the features");
    }
    return new DataSettings(format(settings), id, settings.string("data.label-column"),
        features, List.copyOf(columns), settings.oneOf("data.scaling", SCALINGS.toArray(new String[0])));
  }

  /** Reads {@code data.format}: parquet | csv. */
  public static String format(Settings settings) {
    return settings.oneOf("data.format", "parquet", "csv");
  }

  /** True when the label column is set. */
  public boolean hasLabel() {
    return !labelColumn.isBlank();
  }
}
