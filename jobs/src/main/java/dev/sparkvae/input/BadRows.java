package dev.sparkvae.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.rows.InternalRows;
import dev.sparkvae.rows.RowReader;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bad input of a job beyond the rows it uses: the rows that fail the checks, written with their reason
 * (quarantine), and the rows whose id another row has too. Each is one more Spark job over the input, described as a
 * step of the current job.
 */
public final class BadRows {
  private static final Logger LOG = LoggerFactory.getLogger(BadRows.class);

  /** The directory of quarantined rows inside an output or a model directory. */
  public static final String QUARANTINE = "_quarantine";
  /** The column of a quarantined row that says why it is bad. */
  public static final String REASON = "reason";

  private BadRows() {}

  /**
   * Writes the rows of a normalised frame that fail {@code check}, as they were read, with their {@link #REASON},
   * as Parquet to {@code dir}.
   *
   * @param what the input, for the job description
   * @return how many rows were written
   */
  public static long quarantine(SparkSession spark, Dataset<Row> frame, RowReader check, String dir, String what) {
    describeStep(spark, "quarantine of the bad rows of " + what);
    StructType schema = frame.schema();
    DataType[] types = Arrays.stream(schema.fields()).map(StructField::dataType).toArray(DataType[]::new);
    RowCounters counters = RowCounters.register(spark.sparkContext(), "quarantine");
    JavaRDD<InternalRow> bad = InternalRows.of(frame).mapPartitions(new WithReason(check, types, counters));
    InternalRows.frame(spark, bad, schema.add(REASON, DataTypes.StringType, false)).write().parquet(dir);
    return counters.bad();
  }

  /**
   * Rows of a normalised frame whose id an earlier row has too (null ids aside), logged as a warning. Costs one job
   * over the id column with a shuffle of the ids.
   *
   * @param what the input, for the job description and the warning
   */
  public static long duplicateIds(SparkSession spark, Dataset<Row> frame, String what) {
    describeStep(spark, "duplicate ids of " + what);
    Row row = frame.where(col(FeatureFrames.ID).isNotNull()).groupBy(FeatureFrames.ID).count()
        .where(col("count").gt(1)).agg(sum(col("count").minus(1)), count(lit(1))).first();
    long duplicates = row.isNullAt(0) ? 0 : row.getLong(0);
    if (duplicates > 0) {
      LOG.warn("{} rows of {} repeat the id of another row ({} ids are not unique)", duplicates, what,
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

  /** The bad rows of a partition, streamed, each followed by its reason. */
  private record WithReason(RowReader check, DataType[] types, RowCounters counters)
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
                values[i] = InternalRows.copy(row, i, types[i]);
              }
              values[types.length] = InternalRows.text(problem.reason());
              counters.addBad(1);
              found = InternalRows.row(values);
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
