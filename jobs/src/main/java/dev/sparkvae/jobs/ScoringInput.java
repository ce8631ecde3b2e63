package dev.sparkvae.jobs;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.input.BadRows;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.InputFiles;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.input.RowReader;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.ml.VaeModel;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every job that runs a trained model starts with: the model as a {@link VaeModel} and the input read
 * with the model's recorded feature layout, checked against it before any work (clear error: expected vs found),
 * and how it ends: the output committed atomically, bad rows counted and, when asked, quarantined.
 *
 * @param model the model, its id and features columns set to the normalised frame's
 * @param info what the model records about itself
 * @param frame the normalised input (id, features, source_file) followed by the kept columns
 * @param files the input's data files (corrupt ones left out when asked)
 * @param checks what to do with bad rows, corrupt files and duplicate ids
 */
public record ScoringInput(VaeModel model, ModelInfo info, Dataset<Row> frame, InputFiles files,
    InputChecks checks) {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringInput.class);

  /**
   * @param format parquet | csv
   * @param keep input columns to carry to the output
   * @param checks what to do with bad rows, corrupt files (left out: reported in {@link #files()}) and duplicate ids
   * @throws IOException for a missing or corrupt model, a missing, empty or corrupt input or a feature mismatch
   */
  public static ScoringInput open(SparkSession spark, String model, String input, String format, List<String> keep,
      InputChecks checks) throws IOException {
    VaeModel vae;
    try {
      vae = VaeModel.read().session(spark).load(model);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    ModelInfo info = JsonFiles.MAPPER.readValue(vae.modelJson(), ModelInfo.class);
    InputFiles files = InputFiles.check(spark, input, !"csv".equals(format), checks.ignoreCorruptFiles());
    files.corrupt().forEach((file, reason) -> LOG.warn("Skipping corrupt input file {}: {}", file, reason));
    Dataset<Row> frame = checkedFrame(spark, info.featureSchema(), false, model, files, format, keep);
    vae.setIdCol(FeatureFrames.ID).setFeaturesCol(FeatureFrames.FEATURES);
    return new ScoringInput(vae, info, frame, files, checks);
  }

  /**
   * The normalised frame of the checked files of an input, read with the feature layout {@code expected} of the
   * model in {@code model}, with the model's label column when {@code withLabel} (null where the input has none).
   *
   * @throws IOException when the input's features do not match (expected vs found)
   */
  public static Dataset<Row> checkedFrame(SparkSession spark, FeatureSchema expected, boolean withLabel,
      String model, InputFiles files, String format, List<String> keep) throws IOException {
    String input = files.path();
    DataSettings data = new DataSettings(format, expected.idColumn(), withLabel ? expected.labelColumn() : "",
        expected.featuresColumn(), expected.featureColumns());
    Dataset<Row> frame = FeatureFrames.read(spark, data, files, keep, "the model in " + model);
    FeatureSchema found = FeatureFrames.schemaOf(frame, data, "input " + input);
    if (found.featureCount() != expected.featureCount()) {
      throw new IOException(String.format("Cannot score %s with the model in %s: the input has %s, the model "
          + "expects %s", input, model, found.describe(), expected.describe()));
    }
    return frame;
  }

  /**
   * Writes scored rows as Parquet to {@code output} atomically (staging directory, then rename), with the bad rows
   * and their reason under {@code output/_quarantine/} when the policy is {@link BadRowPolicy#QUARANTINE}, then
   * counts duplicate ids when asked.
   *
   * @param scored the rows to write, computed with {@code counters} and bad rows left out unless the policy fails
   * @return what happened to the input rows
   */
  public RowCounts writeParquet(SparkSession spark, Dataset<Row> scored, RowCounters counters, String output)
      throws IOException {
    BadRowPolicy policy = checks.onBadRows();
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    String staging = AtomicDirectory.staging(output);
    try {
      DataFrameWriter<Row> writer = scored.write();
      // Latent values and scores are all distinct floats: building a dictionary for them is wasted work (it took
      // a third of encode's JVM time before this).
      for (StructField field : scored.schema().fields()) {
        if (RowScoring.OUTPUTS.contains(field.name())) {
          writer.option("parquet.enable.dictionary#" + field.name()
              + (field.dataType() instanceof ArrayType ? ".list.element" : ""), "false");
        }
      }
      writer.parquet(staging);
      long quarantined = 0;
      if (policy == BadRowPolicy.QUARANTINE && counters.bad() > 0) {
        quarantined = BadRows.quarantine(spark, frame, check(), staging + "/" + BadRows.QUARANTINE, files.path());
      }
      AtomicDirectory.commit(staging, output, hadoopConf);
      long bad = counters.bad();
      return new RowCounts(counters.read(), counters.read() - bad, policy == BadRowPolicy.SKIP ? bad : 0,
          quarantined, duplicateIds(spark));
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
  }

  /**
   * Rows whose id an earlier row has too (null ids aside), when {@link InputChecks#countDuplicateIds()}; logged as
   * a warning. Costs one job over the id column with a shuffle of the ids. -1 when not counted.
   */
  public long duplicateIds(SparkSession spark) {
    return checks.countDuplicateIds() ? BadRows.duplicateIds(spark, frame, files.path()) : -1;
  }

  /** The reader and checks of the input's rows, as the model reads them. */
  private RowReader check() {
    return RowReader.of(frame.schema(), FeatureFrames.ID, FeatureFrames.FEATURES, FeatureFrames.FEATURES,
        info.featureSchema(), info.vae().distribution());
  }
}
