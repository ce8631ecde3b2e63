package dev.sparkvae.ml;

import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.rows.RowReader;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The schema checks of scoring: the id and features columns of an input, and the output columns it gets. */
final class ScoringSchema {
  private ScoringSchema() {}

  /**
   * {@code schema} with the outputs of {@code params} appended.
   *
   * @param textFeatures the features are text fields that the model parses (CSV columns), not numbers
   * @throws IllegalArgumentException naming the column, its type and the types accepted, or an output that exists
   */
  static StructType withOutputs(VaeScoringParams<?> params, StructType schema, boolean textFeatures) {
    List<String> names = Arrays.asList(schema.fieldNames());
    String id = params.getIdCol();
    if (!names.contains(id) || !RowReader.ID_TYPES.contains(schema.apply(id).dataType())) {
      throw new IllegalArgumentException("Cannot use idCol " + id + ": it must be an integer or string column; the "
          + "columns are " + schema.simpleString());
    }
    if (!names.contains(params.getFeaturesCol())) {
      throw new IllegalArgumentException("Cannot use featuresCol " + params.getFeaturesCol() + ": it is not a "
          + "column; the columns are " + schema.simpleString());
    }
    if (!textFeatures) {
      features(params, schema);
    }
    StructType result = schema;
    for (String output : params.appendedColumns()) {
      if (names.contains(output)) {
        throw new IllegalArgumentException("Cannot append output " + output + ": the input already has that column");
      }
      result = result.add(isVector(params, output)
          ? DataTypes.createStructField(output, SQLDataTypes.VectorType(), false) : RowScoring.field(output));
    }
    return result;
  }

  /** The features column of {@code schema} as array&lt;float&gt;. */
  static Column features(VaeScoringParams<?> params, StructType schema) {
    String name = params.getFeaturesCol();
    try {
      return FeatureFrames.featuresOf(name, schema.apply(name).dataType(), "the dataset");
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Whether {@code output} is written as a Spark ML vector. */
  static boolean isVector(VaeScoringParams<?> params, String output) {
    return params.getVectorOutput() && (output.equals(RowScoring.Z_MEAN) || output.equals(RowScoring.Z_LOG_VAR));
  }
}
