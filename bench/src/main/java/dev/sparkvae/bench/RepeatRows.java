package dev.sparkvae.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sequence;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Writes a bigger copy of an imported dataset for memory benchmarks: {@code rows} rows made of repeats of the
 * input, ids shifted by the input size per repeat, in {@code files} Parquet files.
 *
 * <p>Usage: {@code RepeatRows INPUT OUTPUT ROWS FILES}.
 */
public final class RepeatRows {
  private RepeatRows() {}

  public static void main(String[] args) {
    String input = args[0];
    String output = args[1];
    long rows = Long.parseLong(args[2]);
    int files = Integer.parseInt(args[3]);
    try (SparkSession spark = SparkSession.builder().master("local[2]").appName("repeat rows")
        .config("spark.ui.enabled", "false").getOrCreate()) {
      Dataset<Row> source = spark.read().parquet(input);
      long size = source.count();
      int repeats = (int) ((rows + size - 1) / size);
      source.withColumn("copy", explode(sequence(lit(0), lit(repeats - 1))))
          .withColumn("id", col("id").plus(col("copy").multiply(size)))
          .where(col("id").lt(rows))
          .drop("copy")
          .repartition(files)
          .write().parquet(output);
    }
  }
}
