package dev.sparkvae.training;

import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.model.FeatureScaling;
import java.util.Locale;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * Where the training rows and each epoch's minibatches are kept ({@code train.data-cache}): {@link #MEMORY}, the
 * rows and minibatches deserialized in executor memory; or {@link #SPILL}, the rows serialized on local disk (not
 * memory and disk: Spark reads a disk block back into one buffer of its size, which fails for a partition bigger
 * than the heap), each epoch's minibatches written once to local disk by round ({@link EpochMinibatches#spilled}).
 * Both train the same model. {@code auto} picks memory when the rows' footprint on the busiest executor fits in
 * {@value #USABLE_SHARE} of its storage memory (Spark's unified memory: {@code spark.memory.fraction} of the heap
 * beyond 300 MB), else spill.
 *
 * <p>The footprint in memory is {@value #MEMORY_ROW_OVERHEAD} + 8 bytes per feature per row (the row and its copy in
 * a minibatch); spilled, one task holds one round's minibatches (at most twice {@code train.averaging-frequency}
 * minibatches) while it sorts and packs them.
 */
enum TrainingDataCache {
  MEMORY(StorageLevel.MEMORY_ONLY()),
  SPILL(StorageLevel.DISK_ONLY());

  private static final Logger LOG = LoggerFactory.getLogger(TrainingDataCache.class);
  /** The share of storage memory the cached rows may take; the rest is for broadcasts and Spark's own blocks. */
  static final double USABLE_SHARE = 0.9;
  /** Bytes per cached row beyond its values: array headers, the row's share of a minibatch's objects and label. */
  static final int MEMORY_ROW_OVERHEAD = 32;
  /** Bytes per row of a round being sorted and packed beyond its values: the key, the tuple and array headers. */
  private static final int SPILL_ROW_OVERHEAD = 64;
  /** Spark's memory reserved outside the unified pool ({@code UnifiedMemoryManager}'s reserved system memory). */
  private static final long RESERVED_BYTES = 300L << 20;

  private final StorageLevel storageLevel;

  TrainingDataCache(StorageLevel storageLevel) {
    this.storageLevel = storageLevel;
  }

  /** How the training and held-out rows are persisted. */
  StorageLevel storageLevel() {
    return storageLevel;
  }

  /**
   * The epoch's minibatches of {@code rows} (one cached partition per worker of {@code partitionSizes} rows).
   *
   * @param rounds the epoch's averaging rounds
   */
  EpochMinibatches minibatches(JavaRDD<float[]> rows, long[] partitionSizes, int featureCount, int batchSize,
      int rounds, long seed, FeatureScaling scaling) {
    return this == MEMORY ? EpochMinibatches.inMemory(rows, featureCount, batchSize, seed, scaling)
        : EpochMinibatches.spilled(rows, partitionSizes, featureCount, batchSize, rounds, seed, scaling);
  }

  /**
   * The cache for {@code train.data-cache} and about {@code rows} rows of {@code featureCount} features, logged.
   *
   * @throws InvalidSettingException when an executor's memory cannot hold one round's minibatches of a task
   */
  static TrainingDataCache choose(TrainSettings train, long rows, int featureCount, int workers,
      SparkContext context) {
    int tasksPerExecutor = context.isLocal() ? workers : Math.min(workers, Math.max(1,
        context.conf().getInt("spark.executor.cores", 1) / context.conf().getInt("spark.task.cpus", 1)));
    long storage = storageMemoryPerExecutor(context);
    double rowsPerExecutor = (double) rows * tasksPerExecutor / workers;
    double inMemory = rowsPerExecutor * (MEMORY_ROW_OVERHEAD + 8.0 * featureCount);
    double round = (double) tasksPerExecutor * 2 * train.averagingFrequency() * train.batchSizePerWorker()
        * (SPILL_ROW_OVERHEAD + 8.0 * featureCount);
    TrainingDataCache cache = switch (train.dataCache()) {
      case "memory" -> MEMORY;
      case "spill" -> SPILL;
      default -> inMemory <= USABLE_SHARE * storage ? MEMORY : SPILL;
    };
    if (cache == SPILL && round > storage) {
      throw new InvalidSettingException(String.format(Locale.ROOT, "Cannot train with train.data-cache = spill: one "
          + "averaging round's minibatches take about %s on an executor (%d tasks × 2 × train.averaging-frequency "
          + "%d × train.batch-size-per-worker %d rows of %d features), more than its %s of storage memory; raise "
          + "the executor memory (spark.executor.memory, or the driver's in local mode) or lower those settings",
          bytes(round), tasksPerExecutor, train.averagingFrequency(), train.batchSizePerWorker(), featureCount,
          bytes(storage)));
    }
    LOG.info("train: training data cache {} (train.data-cache {}: about {} of rows in memory per executor, beside "
        + "{} of storage memory)", cache.name().toLowerCase(Locale.ROOT), train.dataCache(), bytes(inMemory),
        bytes(storage));
    return cache;
  }

  /**
   * The storage memory of the smallest executor: the block managers' own figure in local mode (the driver's) and
   * once executors have registered, else Spark's formula on {@code spark.executor.memory}.
   */
  private static long storageMemoryPerExecutor(SparkContext context) {
    String driver = context.env().blockManager().blockManagerId().hostPort();
    long smallest = Long.MAX_VALUE;
    scala.collection.Iterator<Tuple2<String, Tuple2<Object, Object>>> status =
        context.getExecutorMemoryStatus().iterator();
    while (status.hasNext()) {
      Tuple2<String, Tuple2<Object, Object>> executor = status.next();
      if (context.isLocal() || !executor._1().equals(driver)) {
        smallest = Math.min(smallest, (Long) executor._2()._1());
      }
    }
    if (smallest != Long.MAX_VALUE) {
      return smallest;
    }
    double fraction = context.conf().getDouble("spark.memory.fraction", 0.6);
    return (long) ((((long) context.executorMemory() << 20) - RESERVED_BYTES) * fraction);
  }

  private static String bytes(double bytes) {
    return bytes < 1L << 30 ? String.format(Locale.ROOT, "%.0f MiB", bytes / (1L << 20))
        : String.format(Locale.ROOT, "%.1f GiB", bytes / (1L << 30));
  }
}
