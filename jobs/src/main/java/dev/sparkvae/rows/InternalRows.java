package dev.sparkvae.rows;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.unsafe.types.UTF8String;

/** Spark's internal values built from Java ones. */
public final class InternalRows {
  private InternalRows() {}

  /** A row of internal values. */
  public static InternalRow row(Object[] values) {
    return new GenericInternalRow(values);
  }

  /** A string as Spark holds it; null for null. */
  public static Object text(String value) {
    return value == null ? null : UTF8String.fromString(value);
  }

  /** An array of structs (array&lt;struct&lt;...&gt;&gt;), one per row. */
  public static Object array(InternalRow[] rows) {
    return new GenericArrayData(rows);
  }
}
