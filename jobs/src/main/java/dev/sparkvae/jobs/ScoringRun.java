package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.input.BadRows;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.input.InputFiles;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.rows.RowReader;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.ml.VaeModel;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.StructField;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a trained model over a dataset, the skeleton of encode, reconstruct and evaluate. {@link #open} loads
 * the model as a {@link VaeModel} and reads the input with the model's recorded feature layout, both checked before
 * any work (expected vs found); the job then sets the model's outputs and {@link #score}s the rows, or
 * {@link #write}s them: committed atomically, bad rows counted and, when asked, quarantined.
 */
final class ScoringRun {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringRun.class);

  private final SparkSession spark;
  private final String job;
  private final RowScoringOptions<?> options;
  private final VaeModel model;
  private final ModelInfo info;
  private final Dataset<Row> frame;
  private final InputFiles files;
  private final RowCounters counters;

  private ScoringRun(SparkSession spark, String job, RowScoringOptions<?> options, VaeModel model, ModelInfo info,
      Dataset<Row> frame, InputFiles files) {
    this.spark = spark;
    this.job = job;
    this.options = options;
    this.model = model;
    this.info = info;
    this.frame = frame;
    this.files = files;
    this.counters = RowCounters.register(spark.sparkContext(), job);
  }

  /**
   * Opens the model and the input of a job that writes rows: refuses an existing output unless overwrite is set,
   * then as {@link #open(SparkSession, String, RowScoringOptions, List)}, carrying the kept columns.
   */
  static ScoringRun open(SparkSession spark, String job, RowScoringOptions<?> options, RowsOutput rows)
      throws IOException {
    AtomicDirectory.checkWritable(rows.dir, options.overwrite, spark.sparkContext().hadoopConfiguration());
    return open(spark, job, options, rows.keep);
  }

  /**
   * Opens the model, with the engine and bad-row policy of {@code options}, and the input.
   *
   * @param job names the run's counters and Spark jobs
   * @param keep input columns to carry to the output
   * @throws IOException for a missing or corrupt model, a missing, empty or corrupt input or a feature mismatch
   */
  static ScoringRun open(SparkSession spark, String job, RowScoringOptions<?> options, List<String> keep)
      throws IOException {
    VaeModel vae;
    try {
      vae = VaeModel.read().session(spark).load(options.model);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    ModelInfo info = JsonFiles.MAPPER.readValue(vae.modelJson(), ModelInfo.class);
    InputFiles files = InputFiles.check(spark, options.input, !options.csv(), options.checks.ignoreCorruptFiles());
    files.corrupt().forEach((file, reason) -> LOG.warn("Skipping corrupt input file {}: {}", file, reason));
    Dataset<Row> frame = checkedFrame(spark, info.featureSchema(), false, options, files, keep);
    vae.setIdCol(FeatureFrames.ID).setFeaturesCol(FeatureFrames.FEATURES)
        .setEngine(options.inference.engine(), options.inference.threads())
        .setSkipBadRows(options.checks.onBadRows() != BadRowPolicy.FAIL);
    return new ScoringRun(spark, job, options, vae, info, frame, files);
  }

  /**
   * The normalised frame of the checked files of an input, read with the feature layout {@code expected} of the
   * model in {@code options}, with the model's label column when {@code withLabel} (null where the input has none).
   *
   * @throws IOException when the input's features do not match (expected vs found)
   */
  static Dataset<Row> checkedFrame(SparkSession spark, FeatureSchema expected, boolean withLabel,
      ScoringOptions<?> options, InputFiles files, List<String> keep) throws IOException {
    String input = files.path();
    DataSettings data = new DataSettings(options.format, expected.idColumn(), withLabel ? expected.labelColumn() : "",
        expected.featuresColumn(), expected.featureColumns());
    Dataset<Row> frame = FeatureFrames.read(spark, data, files, keep, "the model in " + options.model);
    FeatureSchema found = FeatureFrames.schemaOf(frame, data, "input " + input);
    if (found.featureCount() != expected.featureCount()) {
      throw new IOException(String.format("Cannot score %s with the model in %s: the input has %s, the model "
          + "expects %s", input, options.model, found.describe(), expected.describe()));
    }
    return frame;
  }

  /** The model, set to read {@link #frame()}; the job sets its outputs, batch size and samples. */
  VaeModel model() {
    return model;
  }

  /** What the model records about itself. */
  ModelInfo info() {
    return info;
  }

  /** The normalised input (id, features, source_file) followed by the kept columns. */
  Dataset<Row> frame() {
    return frame;
  }

  /** The input's data files (corrupt ones left out when asked). */
  InputFiles files() {
    return files;
  }

  /** The rows read and left out so far. */
  RowCounters counters() {
    return counters;
  }

  /** The {@code keep} columns of every good row followed by the model's outputs, counted as they are computed. */
  Dataset<Row> score(String... keep) {
    return model.transformKeeping(frame, counters.readAccumulator(), counters.badAccumulator(), keep);
  }

  /**
   * Writes the id, the model's outputs and the kept columns of every good row as Parquet to {@code rows.dir},
   * atomically (staging directory, then rename), with the bad rows and their reason under {@code _quarantine/}
   * when the policy is {@link BadRowPolicy#QUARANTINE}, then counts duplicate ids when asked.
   *
   * @return what happened to the input rows
   */
  RowCounts write(RowsOutput rows) throws IOException {
    List<String> kept = new ArrayList<>(List.of(FeatureFrames.ID));
    kept.addAll(rows.keep);
    List<Column> columns = new ArrayList<>(List.of(col(FeatureFrames.ID)));
    for (String output : model.appendedColumns()) {
      columns.add(col(output));
    }
    rows.keep.forEach(name -> columns.add(col(name)));
    spark.sparkContext().setJobDescription(job + ": " + options.input + " to " + rows.dir);
    Dataset<Row> scored = score(kept.toArray(new String[0])).select(columns.toArray(new Column[0]));
    BadRowPolicy policy = options.checks.onBadRows();
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    String staging = AtomicDirectory.staging(rows.dir);
    try {
      DataFrameWriter<Row> writer = scored.write();
      // Latent values and scores are all distinct floats: a dictionary for them is wasted work.
      for (StructField field : scored.schema().fields()) {
        if (RowScoring.OUTPUTS.contains(field.name())) {
          writer.option("parquet.enable.dictionary#" + field.name()
              + (field.dataType() instanceof ArrayType ? ".list.element" : ""), "false");
        }
      }
      writer.parquet(staging);
      long quarantined = 0;
      if (policy == BadRowPolicy.QUARANTINE && counters.bad() > 0) {
        quarantined = BadRows.quarantine(spark, frame, reader(), staging + "/" + BadRows.QUARANTINE, files.path());
      }
      AtomicDirectory.commit(staging, rows.dir, hadoopConf);
      long bad = counters.bad();
      return new RowCounts(counters.read(), counters.read() - bad, policy == BadRowPolicy.SKIP ? bad : 0,
          quarantined, duplicateIds());
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
  }

  /**
   * Rows whose id an earlier row has too (null ids aside), when {@link InputChecks#countDuplicateIds()}; logged as
   * a warning. Costs one job over the id column with a shuffle of the ids. -1 when not counted.
   */
  long duplicateIds() {
    return options.checks.countDuplicateIds() ? BadRows.duplicateIds(spark, frame, files.path()) : -1;
  }

  /** The reader and checks of the input's rows, as the model reads them. */
  private RowReader reader() {
    return RowReader.of(frame.schema(), FeatureFrames.ID, FeatureFrames.FEATURES, FeatureFrames.FEATURES,
        info.featureSchema(), info.vae().distribution());
  }
}
