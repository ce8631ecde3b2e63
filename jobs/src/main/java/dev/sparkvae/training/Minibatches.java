package dev.sparkvae.training;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureStatistics;
import dev.sparkvae.rows.InternalRows;
import dev.sparkvae.rows.RowReader;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import scala.Tuple2;

/**
 * Turns a normalised frame into validated feature vectors, spread evenly over one partition per worker for
 * training ({@link EpochMinibatches} packs them into each epoch's minibatches), and batches of rows with their ids
 * for the held-out scores. In-order batching streams each partition, one batch in memory at a time.
 */
final class Minibatches {
  private Minibatches() {}

  /**
   * Checked rows, row-major, with their id keys ({@link RowReader#id}, which seed the scoring noise of each row). A
   * class, not a record: Spark's Kryo cannot write a record's fields, and cached batches travel between executors.
   */
  static final class RowBatch implements Serializable {
    private static final long serialVersionUID = 1L;
    private final long[] ids;
    private final float[] rows;

    /** @param rows ids.length × features values */
    RowBatch(long[] ids, float[] rows) {
      this.ids = ids;
      this.rows = rows;
    }

    long[] ids() {
      return ids;
    }

    float[] rows() {
      return rows;
    }

    int count() {
      return ids.length;
    }
  }

  /**
   * Batches of at most {@code batchSize} checked rows with their ids, in input order (the last may be smaller).
   *
   * @throws BadRowException (inside the Spark job) on the first row that fails validation, unless {@code skipBad}
   */
  static JavaRDD<RowBatch> withIds(Dataset<Row> frame, RowReader check, boolean skipBad, int batchSize) {
    int width = check.featureCount();
    return checked(frame, check, skipBad, (row, values) -> new Tuple2<>(check.id(row), values))
        .mapPartitions(rows -> new Iterator<RowBatch>() {
          @Override
          public boolean hasNext() {
            return rows.hasNext();
          }

          @Override
          public RowBatch next() {
            long[] ids = new long[batchSize];
            float[] values = new float[batchSize * width];
            int count = 0;
            for (; count < batchSize && rows.hasNext(); count++) {
              Tuple2<Long, float[]> row = rows.next();
              ids[count] = row._1();
              System.arraycopy(row._2(), 0, values, count * width, width);
            }
            if (count == 0) {
              throw new NoSuchElementException();
            }
            return count == batchSize ? new RowBatch(ids, values)
                : new RowBatch(Arrays.copyOf(ids, count), Arrays.copyOf(values, count * width));
          }
        });
  }

  /**
   * The statistics of every feature over {@code rows}: one summary per partition, merged on the driver in
   * partition order, so the same rows give the same values to the last bit whatever order the tasks finish in.
   */
  static FeatureStatistics statistics(JavaRDD<float[]> rows, int featureCount) {
    List<FeatureStatistics> parts = rows.mapPartitions(it -> {
      FeatureStatistics part = new FeatureStatistics(featureCount);
      it.forEachRemaining(part::add);
      return List.of(part).iterator();
    }).collect();
    FeatureStatistics all = new FeatureStatistics(featureCount);
    parts.forEach(all::merge);
    return all;
  }

  /**
   * The checked feature vectors of a normalised frame, in input order; bad rows left out when {@code skipBad}.
   *
   * @throws BadRowException (inside the Spark job) on the first row that fails validation, unless {@code skipBad}
   */
  static JavaRDD<float[]> rows(Dataset<Row> frame, RowReader check, boolean skipBad) {
    return checked(frame, check, skipBad, (row, values) -> values);
  }

  /** What is kept of a checked row: its features, read into {@code values}, and whatever else of the row. */
  @FunctionalInterface
  private interface Kept<T> extends Serializable {
    T of(InternalRow row, float[] values);
  }

  private static <T> JavaRDD<T> checked(Dataset<Row> frame, RowReader check, boolean skipBad, Kept<T> kept) {
    return InternalRows.of(frame).mapPartitions(rows -> new Iterator<T>() {
      private T next;

      @Override
      public boolean hasNext() {
        while (next == null && rows.hasNext()) {
          InternalRow row = rows.next();
          float[] values = new float[check.featureCount()];
          BadRowException bad = check.read(row, values, 0);
          if (bad == null) {
            next = kept.of(row, values);
          } else if (!skipBad) {
            throw bad;
          }
        }
        return next != null;
      }

      @Override
      public T next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        T values = next;
        next = null;
        return values;
      }
    });
  }

  /**
   * The rows spread over exactly {@code partitions} partitions (one per training worker), evenly: each input
   * partition deals its rows round robin, so partition sizes differ by at most the number of input partitions.
   * Deterministic: rows are ordered within each partition by their input partition and position. One shuffle.
   */
  static JavaRDD<float[]> balanced(JavaRDD<float[]> rows, int partitions) {
    JavaRDD<Tuple2<Long, float[]>> keyed = rows.mapPartitionsWithIndex(RoundRobin.Keyed::new, true);
    return JavaPairRDD.fromJavaRDD(keyed).repartitionAndSortWithinPartitions(new RoundRobin(partitions)).values();
  }

  /** Deals the rows of each input partition round robin, starting at the input partition's index. */
  private static final class RoundRobin extends Partitioner {
    private static final long serialVersionUID = 1L;
    private static final int POSITION_BITS = 40;
    private final int partitions;

    RoundRobin(int partitions) {
      this.partitions = partitions;
    }

    /** A sort key of a row: its input partition and its position there. */
    static long key(int inputPartition, long position) {
      return ((long) inputPartition << POSITION_BITS) | position;
    }

    @Override
    public int numPartitions() {
      return partitions;
    }

    /** The rows of one input partition with their sort keys. */
    private static final class Keyed implements Iterator<Tuple2<Long, float[]>> {
      private final int inputPartition;
      private final Iterator<float[]> rows;
      private long position;

      Keyed(int inputPartition, Iterator<float[]> rows) {
        this.inputPartition = inputPartition;
        this.rows = rows;
      }

      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Tuple2<Long, float[]> next() {
        return new Tuple2<>(key(inputPartition, position++), rows.next());
      }
    }

    @Override
    public int getPartition(Object key) {
      long k = (Long) key;
      return (int) (((k >>> POSITION_BITS) + (k & ((1L << POSITION_BITS) - 1))) % partitions);
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof RoundRobin r && r.partitions == partitions;
    }

    @Override
    public int hashCode() {
      return partitions;
    }
  }
}
