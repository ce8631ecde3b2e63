package dev.sparkvae.training;

import java.util.Arrays;
import org.apache.spark.util.AccumulatorV2;

/**
 * A Spark accumulator of where the workers' time goes in a parameter-averaging round: the executors add, the
 * driver reads and resets it after every round. Values are indexed by the constants below (nanoseconds and
 * counts), summed over tasks except {@link #SLOWEST_TASK_NANOS} and {@link #MOST_MINIBATCHES}, the maxima (which a
 * recomputed task cannot inflate).
 */
final class WorkerClock extends AccumulatorV2<long[], long[]> {
  private static final long serialVersionUID = 1L;

  /** Getting the network ready: reading the broadcast and building or refilling the network. */
  static final int SETUP_NANOS = 0;
  /** Waiting for the next minibatch (selecting the round's data, re-batching, prefetching). */
  static final int DATA_NANOS = 1;
  /** Training steps. */
  static final int COMPUTE_NANOS = 2;
  /** Building the task's result (parameters and updater state). */
  static final int RESULT_NANOS = 3;
  /** Tasks that trained (partitions with data). */
  static final int TASKS = 4;
  /** Minibatches fitted. */
  static final int MINIBATCHES = 5;
  /** Examples fitted. */
  static final int EXAMPLES = 6;
  /** Tasks that reused a network kept on their executor thread instead of building one. */
  static final int REUSED_NETWORKS = 7;
  /** A task's time from getting the network ready to its result built. */
  static final int TASK_NANOS = 8;
  /** The longest {@link #TASK_NANOS} of the tasks (the round waits for it). */
  static final int SLOWEST_TASK_NANOS = 9;

  /** The most minibatches one task fitted: the steps the round took, which the iteration counter advances by. */
  public static final int MOST_MINIBATCHES = 10;

  static final int SIZE = 11;

  private final long[] values = new long[SIZE];

  @Override
  public boolean isZero() {
    for (long v : values) {
      if (v != 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public WorkerClock copy() {
    WorkerClock copy = new WorkerClock();
    copy.merge(this);
    return copy;
  }

  @Override
  public void reset() {
    Arrays.fill(values, 0);
  }

  @Override
  public void add(long[] v) {
    for (int i = 0; i < SIZE; i++) {
      values[i] = i == SLOWEST_TASK_NANOS || i == MOST_MINIBATCHES ? Math.max(values[i], v[i]) : values[i] + v[i];
    }
  }

  @Override
  public void merge(AccumulatorV2<long[], long[]> other) {
    add(other.value());
  }

  @Override
  public long[] value() {
    return values.clone();
  }
}
