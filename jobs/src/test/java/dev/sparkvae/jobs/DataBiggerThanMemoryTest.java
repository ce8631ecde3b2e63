package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.model.ModelArtifact;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerBlockUpdated;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training on a Spark whose storage memory (4.8 MB) cannot hold the sample's rows (2,000 × 784 floats, 6.3 MB):
 * {@code train.data-cache = auto} must choose the spilling path, train the same model as in memory, and read each
 * training row once per epoch from the cache and once from the epoch's shuffle, never recomputing a partition.
 */
class DataBiggerThanMemoryTest {
  private static final String TRAIN = TestSpark.SAMPLE.resolve("train").toString();
  private static final String TEST = TestSpark.SAMPLE.resolve("test").toString();
  private static final long TRAIN_ROWS = 2000;
  private static final int EPOCHS = 2;
  /** Spark's memory manager takes these as the heap and the memory kept out of its pool. */
  private static final Map<String, String> SMALL_MEMORY = Map.of("spark.testing.memory", String.valueOf(8 << 20),
      "spark.testing.reservedMemory", "0");

  @TempDir Path dir;

  @Test
  void aHeapTooSmallForTheRowsTrainsTheSameModelReadingEachRowOncePerEpoch() throws Exception {
    String inMemory = dir.resolve("in-memory").toString();
    train(TestSpark.session(), "train.data-cache=memory", inMemory);

    String spilled = dir.resolve("spilled").toString();
    EpochReads reads = new EpochReads();
    SparkSession small = TestSpark.sessionWith(SMALL_MEMORY);
    try {
      small.sparkContext().addSparkListener(reads);
      train(small, "train.data-cache=auto", spilled);
      small.sparkContext().listenerBus().waitUntilEmpty();
    } finally {
      TestSpark.session();
    }

    assertThat(reads.spilledBlocks.get()).as("cached blocks written to disk: the rows did not fit in memory")
        .isPositive();
    for (int epoch = 1; epoch <= EPOCHS; epoch++) {
      assertThat(reads.cacheRecords.get(epoch)).as("epoch %d: training rows read from the cache, each once (a "
          + "partition dropped and recomputed is read from its source instead, a re-walked one more than once)",
          epoch).isEqualTo(TRAIN_ROWS);
      assertThat(reads.shuffleRecords.get(epoch)).as("epoch %d: training rows read by the rounds (each once)", epoch)
          .isEqualTo(TRAIN_ROWS);
    }
    assertThat(params(spilled)).as("the model trained spilled equals the one trained in memory")
        .containsExactly(params(inMemory));
  }

  private static void train(SparkSession spark, String cache, String model) throws Exception {
    new TrainJob(spark, TestSpark.smallRecipe("train.epochs=" + EPOCHS, cache),
        new TrainJob.Options().input(TRAIN).test(TEST).model(model)).run();
  }

  private static float[] params(String model) throws Exception {
    return ModelArtifact.load(model, new Configuration()).network().params().toFloatVector();
  }

  /**
   * Records read by the tasks of each epoch's training jobs (by job description, evaluation left out): from
   * cached blocks or input files, and from shuffles; and how many cached blocks went to disk.
   */
  private static final class EpochReads extends SparkListener {
    private static final Pattern EPOCH = Pattern.compile("train: epoch (\\d+)/\\d+(, after round .*)?");
    final Map<Integer, Long> cacheRecords = new TreeMap<>();
    final Map<Integer, Long> shuffleRecords = new TreeMap<>();
    final AtomicLong spilledBlocks = new AtomicLong();
    private final Map<Integer, Integer> epochOfStage = new ConcurrentHashMap<>();

    @Override
    public void onJobStart(SparkListenerJobStart job) {
      String description = job.properties() == null ? null : job.properties().getProperty("spark.job.description");
      Matcher epoch = EPOCH.matcher(description == null ? "" : description);
      if (epoch.matches()) {
        scala.collection.Iterator<Object> stages = job.stageIds().iterator();
        while (stages.hasNext()) {
          epochOfStage.put((Integer) stages.next(), Integer.parseInt(epoch.group(1)));
        }
      }
    }

    @Override
    public synchronized void onStageCompleted(SparkListenerStageCompleted completed) {
      Integer epoch = epochOfStage.get(completed.stageInfo().stageId());
      if (epoch != null) {
        TaskMetrics metrics = completed.stageInfo().taskMetrics();
        cacheRecords.merge(epoch, metrics.inputMetrics().recordsRead(), Long::sum);
        shuffleRecords.merge(epoch, metrics.shuffleReadMetrics().recordsRead(), Long::sum);
      }
    }

    @Override
    public void onBlockUpdated(SparkListenerBlockUpdated update) {
      if (update.blockUpdatedInfo().blockId().isRDD() && update.blockUpdatedInfo().diskSize() > 0) {
        spilledBlocks.incrementAndGet();
      }
    }
  }
}
