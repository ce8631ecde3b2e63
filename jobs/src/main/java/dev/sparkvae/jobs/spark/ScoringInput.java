package dev.sparkvae.jobs.spark;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.jobs.api.VaeTransformer;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What every job that runs a trained model starts with: the model as a {@link VaeTransformer} and the input read
 * with the model's recorded feature layout, checked against it before any work (clear error: expected vs found).
 *
 * @param transformer the model, its id and features columns set to the normalised frame's
 * @param frame the normalised input (id, features, source_file) followed by the kept columns
 */
public record ScoringInput(VaeTransformer transformer, Dataset<Row> frame) {

  /**
   * @param format parquet | csv
   * @param keep input columns to carry to the output
   * @throws IOException for a missing or corrupt model, a missing input or a feature mismatch
   */
  public static ScoringInput open(SparkSession spark, String model, String input, String format, List<String> keep)
      throws IOException {
    VaeTransformer transformer = VaeTransformer.load(spark, model);
    Dataset<Row> frame = checkedFrame(spark, transformer.info().featureSchema(), false, model, input, format, keep);
    transformer.setIdCol(FeatureFrames.ID).setFeaturesCol(FeatureFrames.FEATURES);
    return new ScoringInput(transformer, frame);
  }

  /**
   * The normalised frame of {@code input} read with the feature layout {@code expected} of the model in
   * {@code model}, with the model's label column when {@code withLabel} (null where the input has none).
   *
   * @throws IOException for a missing input or when its features do not match (expected vs found)
   */
  public static Dataset<Row> checkedFrame(SparkSession spark, FeatureSchema expected, boolean withLabel,
      String model, String input, String format, List<String> keep) throws IOException {
    DataSettings data = new DataSettings(format, expected.idColumn(), withLabel ? expected.labelColumn() : "",
        expected.featuresColumn(), expected.featureColumns());
    Dataset<Row> frame = FeatureFrames.read(spark, data, input, keep);
    FeatureSchema found = FeatureFrames.schemaOf(frame, data, input);
    if (found.featureCount() != expected.featureCount()) {
      throw new IOException(String.format("Cannot score %s with the model in %s: the input has %s, the model "
          + "expects %s", input, model, found.describe(), expected.describe()));
    }
    return frame;
  }

  /**
   * Writes {@code rows} as Parquet to {@code output} atomically (staging directory, then rename).
   *
   * @return the number of rows written (from the Parquet footers, no second pass over the data)
   */
  public static long writeParquet(SparkSession spark, Dataset<Row> rows, String output) throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    String staging = AtomicDirectory.staging(output);
    try {
      rows.write().parquet(staging);
      AtomicDirectory.commit(staging, output, hadoopConf);
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
    return spark.read().parquet(output).count();
  }
}
