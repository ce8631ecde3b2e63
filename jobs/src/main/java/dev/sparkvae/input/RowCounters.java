package dev.sparkvae.input;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Rows read and bad rows left out by the tasks of a job, as Spark accumulators. Exact when the counting runs in the
 * stage that writes the output (Spark applies each partition's updates once, from its successful attempt); a stage
 * recomputed after a lost shuffle would count its rows again.
 */
public final class RowCounters implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator read;
  private final LongAccumulator bad;

  private RowCounters(LongAccumulator read, LongAccumulator bad) {
    this.read = read;
    this.bad = bad;
  }

  /** New counters registered with {@code sc}, named after {@code what} in the Spark UI. */
  public static RowCounters register(SparkContext sc, String what) {
    return of(sc.longAccumulator(what + ": rows read"), sc.longAccumulator(what + ": bad rows"));
  }

  /** Counters over accumulators registered by the caller. */
  public static RowCounters of(LongAccumulator read, LongAccumulator bad) {
    return new RowCounters(read, bad);
  }

  public void addRead(long rows) {
    read.add(rows);
  }

  public void addBad(long rows) {
    bad.add(rows);
  }

  /** The accumulator of the rows read. */
  public LongAccumulator readAccumulator() {
    return read;
  }

  /** The accumulator of the bad rows left out. */
  public LongAccumulator badAccumulator() {
    return bad;
  }

  public long read() {
    return read.value();
  }

  public long bad() {
    return bad.value();
  }
}
