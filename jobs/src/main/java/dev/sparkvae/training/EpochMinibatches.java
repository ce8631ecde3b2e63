package dev.sparkvae.training;

import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.model.FeatureScaling;
import dev.sparkvae.model.NoiseSeeds;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import org.apache.spark.util.KnownSizeEstimation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import scala.Tuple2;
import scala.runtime.AbstractFunction1;

/**
 * One epoch's minibatches for {@link VaePretrainingMaster}: the rows of each worker's partition in an order drawn
 * afresh from the epoch's seed and the partition ({@link #permutation}), packed into minibatches of
 * {@code batchSize} rows (the last of a partition may be smaller), each scaled as it is packed; a worker's
 * minibatch {@code b} goes to round {@code b mod rounds}. Two layouts give the same minibatches in the same rounds,
 * so the same model:
 *
 * <ul>
 *   <li>{@link #inMemory}: the minibatches cached deserialized, one partition per worker; every round picks its own
 *       by walking the cached partition. The fastest while everything fits in executor memory; when it does not,
 *       Spark drops blocks and every round recomputes them.
 *   <li>{@link #spilled}: the rows sent once per epoch through a Spark shuffle (local disk) into one partition per
 *       round and worker, in permutation order; a round reads only its own partitions, so its cost follows its
 *       minibatches, not the partition, and memory holds one round's share per task.
 * </ul>
 */
final class EpochMinibatches {
  private final JavaRDD<DataSet> all;
  private final long minibatches;
  private final List<JavaRDD<DataSet>> rounds;
  private final int shuffleId;

  private EpochMinibatches(JavaRDD<DataSet> all, long minibatches, List<JavaRDD<DataSet>> rounds, int shuffleId) {
    this.all = all;
    this.minibatches = minibatches;
    this.rounds = rounds;
    this.shuffleId = shuffleId;
  }

  /**
   * The minibatches of {@code rows} (cached, one partition per worker) cached deserialized in memory, one partition
   * per worker; {@link VaePretrainingMaster} deals them into rounds. Shuffling holds references to all of a
   * partition's rows.
   */
  static EpochMinibatches inMemory(JavaRDD<float[]> rows, int featureCount, int batchSize, long seed,
      FeatureScaling scaling) {
    JavaRDD<DataSet> all = rows.mapPartitionsWithIndex((partition, it) -> {
      List<float[]> partitionRows = new ArrayList<>();
      it.forEachRemaining(partitionRows::add);
      int[] order = permutation(partitionRows.size(), NoiseSeeds.of(seed, partition, 0));
      Iterator<float[]> permuted = new Iterator<>() {
        private int slot;

        @Override
        public boolean hasNext() {
          return slot < order.length;
        }

        @Override
        public float[] next() {
          return partitionRows.get(order[slot++]);
        }
      };
      return new BatchIterator(permuted, featureCount, batchSize, scaling);
    }, true).persist(VaePretrainingMaster.TRAINING_DATA_STORAGE);
    return new EpochMinibatches(all, -1, null, -1);
  }

  /**
   * The minibatches of {@code rows} (cached, one partition per worker, {@code partitionSizes} rows each) written
   * once through a shuffle into {@code rounds} × workers partitions: partition {@code round × workers + worker}
   * holds that worker's minibatches of the round, in order. Nothing is cached; {@link #release} removes the
   * shuffle's files.
   *
   * @throws IllegalStateException (inside the Spark job) when a partition holds another number of rows
   */
  static EpochMinibatches spilled(JavaRDD<float[]> rows, long[] partitionSizes, int featureCount, int batchSize,
      int rounds, long seed, FeatureScaling scaling) {
    int workers = partitionSizes.length;
    JavaRDD<Tuple2<Long, float[]>> keyed = rows.mapPartitionsWithIndex((worker, it) -> {
      int[] slots = inverse(permutation(Math.toIntExact(partitionSizes[worker]), NoiseSeeds.of(seed, worker, 0)));
      return new Iterator<Tuple2<Long, float[]>>() {
        private int row;

        @Override
        public boolean hasNext() {
          boolean more = it.hasNext();
          boolean counted = row < slots.length;
          if (more != counted) {
            throw new IllegalStateException(String.format("Training partition %d was counted at %d rows but now "
                + "holds %s", worker, slots.length, more ? "more" : String.valueOf(row)));
          }
          return more;
        }

        @Override
        public Tuple2<Long, float[]> next() {
          return new Tuple2<>(RoundLayout.key(worker, slots[row++]), it.next());
        }
      };
    }, true);
    RoundLayout layout = new RoundLayout(rounds, workers, batchSize);
    JavaPairRDD<Long, float[]> shuffled = JavaPairRDD.fromJavaRDD(keyed).repartitionAndSortWithinPartitions(layout);
    JavaRDD<DataSet> all = shuffled.values()
        .mapPartitions(it -> new BatchIterator(it, featureCount, batchSize, scaling), true);
    List<JavaRDD<DataSet>> byRound = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      byRound.add(JavaRDD.fromRDD(PartitionPruningRDD.create(all.rdd(), new RoundPartitions(round, workers)),
          all.classTag()));
    }
    int shuffleId = ((ShuffleDependency<?, ?, ?>) shuffled.rdd().dependencies().head()).shuffleId();
    return new EpochMinibatches(all, count(partitionSizes, batchSize), byRound, shuffleId);
  }

  /** The minibatches of {@code batchSize} rows of partitions of {@code partitionSizes} rows. */
  static long count(long[] partitionSizes, int batchSize) {
    long minibatches = 0;
    for (long size : partitionSizes) {
      minibatches += (size + batchSize - 1) / batchSize;
    }
    return minibatches;
  }

  /** All the epoch's minibatches: what dl4j-spark's fit takes. */
  JavaRDD<DataSet> all() {
    return all;
  }

  /** Whether the rounds come from {@link #round} (spilled) rather than from dealing the cached minibatches. */
  boolean byRound() {
    return rounds != null;
  }

  /** The number of minibatches, spilled only (the in-memory layout is counted as it is cached). */
  long minibatchCount() {
    return minibatches;
  }

  /** The number of rounds, spilled only. */
  int roundCount() {
    return rounds.size();
  }

  /** The minibatches of one round, one partition per worker; spilled only. */
  JavaRDD<DataSet> round(int round) {
    return rounds.get(round);
  }

  /** Frees what the epoch holds: the cached minibatches, or the shuffle files. */
  void release() {
    if (rounds == null) {
      all.unpersist(false);
      return;
    }
    SparkContext context = all.context();
    // The shuffle's files would otherwise stay on local disk until the driver's garbage collector notices the RDD
    // is gone: one full copy of the training rows per epoch.
    if (context.cleaner().isDefined()) {
      context.cleaner().get().doCleanupShuffle(shuffleId, false);
    }
  }

  /**
   * A permutation of {@code 0 .. n-1} drawn by {@code new Random(seed)}: slot {@code s} of the shuffled rows holds
   * row {@code permutation[s]}. The Fisher–Yates walk of {@link java.util.Collections#shuffle(List, Random)}.
   */
  static int[] permutation(int n, long seed) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Random random = new Random(seed);
    for (int i = n; i > 1; i--) {
      int j = random.nextInt(i);
      int swap = order[i - 1];
      order[i - 1] = order[j];
      order[j] = swap;
    }
    return order;
  }

  private static int[] inverse(int[] permutation) {
    int[] inverse = new int[permutation.length];
    for (int slot = 0; slot < permutation.length; slot++) {
      inverse[permutation[slot]] = slot;
    }
    return inverse;
  }

  /**
   * Sends the row in slot {@code s} of a worker's permutation to partition {@code round × workers + worker}, where
   * round = (s / batchSize) mod rounds: the key is the worker and the slot, so sorting by key orders each partition
   * by slot.
   */
  private static final class RoundLayout extends Partitioner {
    private static final long serialVersionUID = 1L;
    private static final int SLOT_BITS = 40;
    private final int rounds;
    private final int workers;
    private final int batchSize;

    RoundLayout(int rounds, int workers, int batchSize) {
      this.rounds = rounds;
      this.workers = workers;
      this.batchSize = batchSize;
    }

    static long key(int worker, int slot) {
      return ((long) worker << SLOT_BITS) | slot;
    }

    @Override
    public int numPartitions() {
      return Math.multiplyExact(rounds, workers);
    }

    @Override
    public int getPartition(Object key) {
      long k = (Long) key;
      int worker = (int) (k >>> SLOT_BITS);
      long slot = k & ((1L << SLOT_BITS) - 1);
      return (int) ((slot / batchSize) % rounds) * workers + worker;
    }

    @Override
    public boolean equals(Object other) {
      return other instanceof RoundLayout l && l.rounds == rounds && l.workers == workers
          && l.batchSize == batchSize;
    }

    @Override
    public int hashCode() {
      return (rounds * 31 + workers) * 31 + batchSize;
    }
  }

  /** Keeps the partitions of one round: {@code round × workers} to {@code (round + 1) × workers - 1}. */
  private static final class RoundPartitions extends AbstractFunction1<Object, Object> implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int round;
    private final int workers;

    RoundPartitions(int round, int workers) {
      this.round = round;
      this.workers = workers;
    }

    @Override
    public Object apply(Object partition) {
      return (Integer) partition / workers == round;
    }
  }

  /**
   * A minibatch that tells Spark its size: otherwise caching minibatches makes Spark's SizeEstimator walk each
   * DataSet's object graph, which through JavaCPP's deallocator list reaches every live native array (bench/RESULTS.md,
   * training speed). The size given is that of the off-heap values plus a little for the objects.
   */
  static final class Batch extends DataSet implements KnownSizeEstimation {
    private static final long serialVersionUID = 1L;
    private static final long OBJECT_BYTES = 1024;

    Batch(INDArray features, INDArray labels) {
      super(features, labels);
    }

    @Override
    public long estimatedSize() {
      long values = getFeatures().length() * getFeatures().dataType().width()
          + getLabels().length() * getLabels().dataType().width();
      return values + OBJECT_BYTES;
    }
  }

  /** Packs rows into scaled minibatches of {@code batchSize} (the last may be smaller). */
  private static final class BatchIterator implements Iterator<DataSet> {
    private final Iterator<float[]> rows;
    private final FeatureBatcher batcher;
    private final FeatureScaling scaling;

    BatchIterator(Iterator<float[]> rows, int featureCount, int batchSize, FeatureScaling scaling) {
      this.rows = rows;
      this.batcher = new FeatureBatcher(batchSize, featureCount);
      this.scaling = scaling;
    }

    @Override
    public boolean hasNext() {
      return batcher.size() > 0 || rows.hasNext();
    }

    @Override
    public DataSet next() {
      while (rows.hasNext()) {
        if (batcher.add(rows.next())) {
          break;
        }
      }
      if (batcher.size() == 0) {
        throw new NoSuchElementException();
      }
      // dl4j-spark re-batches DataSets (merge and split) and fails on null labels; a one-column placeholder costs
      // one float per row and is never read.
      int rows = batcher.size();
      scaling.apply(batcher.buffer(), rows);
      return new Batch(batcher.take(), Nd4j.zeros(DataType.FLOAT, rows, 1));
    }
  }
}
