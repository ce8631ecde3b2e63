package dev.sparkvae.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.InputChecks;
import dev.sparkvae.data.RowCounts;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.jobs.api.VaeTransformer;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every job that runs a trained model starts with: the model as a {@link VaeTransformer} and the input read
 * with the model's recorded feature layout, checked against it before any work (clear error: expected vs found),
 * and how it ends: the output committed atomically, bad rows counted and, when asked, quarantined.
 *
 * @param transformer the model, its id and features columns set to the normalised frame's
 * @param frame the normalised input (id, features, source_file) followed by the kept columns
 * @param files the input's data files (corrupt ones left out when asked)
 * @param checks what to do with bad rows, corrupt files and duplicate ids
 */
public record ScoringInput(VaeTransformer transformer, Dataset<Row> frame, InputFiles files, InputChecks checks) {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringInput.class);

  /** The directory of quarantined rows inside an output. */
  public static final String QUARANTINE = "_quarantine";
  /** The column of a quarantined row that says why it is bad. */
  public static final String REASON = "reason";

  /**
   * @param format parquet | csv
   * @param keep input columns to carry to the output
   * @param checks what to do with bad rows, corrupt files (left out: reported in {@link #files()}) and duplicate ids
   * @throws IOException for a missing or corrupt model, a missing, empty or corrupt input or a feature mismatch
   */
  public static ScoringInput open(SparkSession spark, String model, String input, String format, List<String> keep,
      InputChecks checks) throws IOException {
    VaeTransformer transformer = VaeTransformer.load(spark, model);
    InputFiles files = InputFiles.check(spark, input, !"csv".equals(format), checks.ignoreCorruptFiles());
    files.corrupt().forEach((file, reason) -> LOG.warn("Skipping corrupt input file {}: {}", file, reason));
    Dataset<Row> frame = checkedFrame(spark, transformer.info().featureSchema(), false, model, files, format, keep);
    transformer.setIdCol(FeatureFrames.ID).setFeaturesCol(FeatureFrames.FEATURES);
    return new ScoringInput(transformer, frame, files, checks);
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
    FeatureSchema found = FeatureFrames.schemaOf(frame, data, input);
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
        quarantined = writeQuarantine(spark, staging + "/" + QUARANTINE);
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
    if (!checks.countDuplicateIds()) {
      return -1;
    }
    describeStep(spark, "duplicate ids of " + files.path());
    Row row = frame.where(col(FeatureFrames.ID).isNotNull()).groupBy(FeatureFrames.ID).count()
        .where(col("count").gt(1)).agg(sum(col("count").minus(1)), count(lit(1))).first();
    long duplicates = row.isNullAt(0) ? 0 : row.getLong(0);
    if (duplicates > 0) {
      LOG.warn("{} rows of {} repeat the id of another row ({} ids are not unique)", duplicates, files.path(),
          row.getLong(1));
    }
    return duplicates;
  }

  /** Describes the next Spark jobs as a step of the current job: "encode: ..." becomes "encode: {@code step}". */
  private static void describeStep(SparkSession spark, String step) {
    String current = spark.sparkContext().getLocalProperty("spark.job.description");
    int colon = current == null ? -1 : current.indexOf(':');
    spark.sparkContext().setJobDescription(colon < 0 ? step : current.substring(0, colon) + ": " + step);
  }

  /** Writes the bad rows of the input with their reason to {@code dir}; returns how many. */
  private long writeQuarantine(SparkSession spark, String dir) {
    describeStep(spark, "quarantine of the bad rows of " + files.path());
    StructType schema = frame.schema();
    DataType[] types = Arrays.stream(schema.fields()).map(StructField::dataType).toArray(DataType[]::new);
    FeatureRows check = FeatureRows.of(schema, FeatureFrames.ID, FeatureFrames.FEATURES, FeatureFrames.FEATURES,
        transformer.info().featureSchema(), transformer.info().vae().distribution());
    RowCounters counters = RowCounters.register(spark.sparkContext(), "quarantine");
    JavaRDD<InternalRow> bad = frame.queryExecution().toRdd().toJavaRDD()
        .mapPartitions(new BadRowsWithReason(check, types, counters));
    spark.internalCreateDataFrame(bad.rdd(), schema.add(REASON, DataTypes.StringType, false), false)
        .write().parquet(dir);
    return counters.bad();
  }

  /** The bad rows of a partition, streamed, each followed by its reason. */
  private record BadRowsWithReason(FeatureRows check, DataType[] types, RowCounters counters)
      implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {
    @Override
    public Iterator<InternalRow> call(Iterator<InternalRow> rows) {
      float[] scratch = new float[check.featureCount()];
      return new Iterator<>() {
        private InternalRow found;

        @Override
        public boolean hasNext() {
          while (found == null && rows.hasNext()) {
            InternalRow row = rows.next();
            BadRowException problem = check.read(row, scratch, 0);
            if (problem != null) {
              Object[] values = new Object[types.length + 1];
              for (int i = 0; i < types.length; i++) {
                values[i] = row.isNullAt(i) ? null : InternalRow.copyValue(row.get(i, types[i]));
              }
              values[types.length] = UTF8String.fromString(problem.reason());
              counters.addBad(1);
              found = new GenericInternalRow(values);
            }
          }
          return found != null;
        }

        @Override
        public InternalRow next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          InternalRow row = found;
          found = null;
          return row;
        }
      };
    }
  }
}
