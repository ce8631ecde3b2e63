package dev.sparkvae.rows;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Frames to internal rows and back, and the values internal rows hold. Going through internal rows skips the
 * conversion of every row to and from a {@link Row}, which would box each feature of the wide feature arrays.
 *
 * <p>Danger: a scan may hand out one row object, refilled for every row; keep a value past the next row only
 * through {@link #copy}.
 */
public final class InternalRows {
  private InternalRows() {}

  /** The rows of {@code frame} as Spark's internal rows, in its partitions, with no conversion. */
  public static JavaRDD<InternalRow> of(Dataset<Row> frame) {
    return frame.queryExecution().toRdd().toJavaRDD();
  }

  /** A frame of internal rows; each row must hold the values of {@code schema}'s fields, which is not checked. */
  public static Dataset<Row> frame(SparkSession spark, JavaRDD<InternalRow> rows, StructType schema) {
    return spark.internalCreateDataFrame(rows.rdd(), schema, false);
  }

  /** All rows of {@code frame}, on the driver, each its own object. */
  public static InternalRow[] collect(Dataset<Row> frame) {
    return frame.queryExecution().executedPlan().executeCollect();
  }

  /** A row of values in Spark's internal forms ({@link #copy}, {@link #text}, {@link #floats}, boxed numbers). */
  public static InternalRow row(Object[] values) {
    return new GenericInternalRow(values);
  }

  /** Field {@code field} of {@code row}, of {@code type}: null, or a copy that outlives the row object. */
  public static Object copy(InternalRow row, int field, DataType type) {
    return row.isNullAt(field) ? null : InternalRow.copyValue(row.get(field, type));
  }

  /** A string value. */
  public static Object text(String value) {
    return UTF8String.fromString(value);
  }

  /** An array&lt;float&gt; value of {@code values}, copied. */
  public static Object floats(float[] values) {
    return UnsafeArrayData.fromPrimitiveArray(values);
  }

  /** An array value of {@code rows} (an array&lt;struct&lt;...&gt;&gt;, from {@link #row}s), not copied. */
  public static Object structs(InternalRow[] rows) {
    return new GenericArrayData(rows);
  }
}
