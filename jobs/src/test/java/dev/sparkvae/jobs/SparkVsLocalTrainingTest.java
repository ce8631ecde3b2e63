package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.training.RoundTimings;
import dev.sparkvae.training.VaePretrainingMaster;
import dev.sparkvae.training.VaePretrainingStep;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * DL4J's own check for parameter averaging (TestCompareParameterAveragingSparkVsSingleMachine): one worker that
 * averages after every step must follow single-machine training exactly, Adam state included.
 */
class SparkVsLocalTrainingTest {
  @Test
  void oneWorkerAveragingEveryStepEqualsLocalTraining() {
    Settings settings = TestSpark.smallRecipe("train.batch-size-per-worker=40", "train.averaging-frequency=1",
        "train.workers=1", "train.seed=21");
    VaeSpec spec = VaeSpec.from(settings);
    TrainSettings train = TrainSettings.from(settings).forWorkers(1);
    INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(5), 40, 784).castTo(DataType.FLOAT);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    JavaRDD<DataSet> data = jsc.parallelize(List.of(new DataSet(x, null)), 1)
        .persist(VaePretrainingMaster.TRAINING_DATA_STORAGE);

    MultiLayerNetwork distributed = VaeNetworks.create(spec, train, 784);
    VaePretrainingMaster master = VaePretrainingMaster.create(train, 1);
    SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, distributed, master);
    MultiLayerNetwork local = VaeNetworks.create(spec, train, 784);
    assertThat(distributed.params()).isEqualTo(local.params());

    int refilled = 0;
    for (int round = 0; round < 4; round++) {
      spark.fit(data);
      RoundTimings timings = master.lastRoundTimings();
      assertThat(timings.rounds()).isEqualTo(1);
      assertThat(timings.tasks()).isEqualTo(1);
      assertThat(timings.examples()).isEqualTo(40);
      refilled += timings.breakdown().get("reused_network_share") == 1.0 ? 1 : 0;
      VaePretrainingStep.fit(local, x, NoiseSeeds.of(train.seed(), 0, round));
      INDArray sparkState = distributed.getUpdater().getStateViewArray();
      INDArray localState = local.getUpdater().getStateViewArray();
      assertThat(maxAbsDiff(sparkState, localState)).as("Adam state after round %d is carried", round)
          .isLessThan(1e-6);
      assertThat(maxAbsDiff(distributed.params(), local.params())).as("parameters after round %d", round)
          .isLessThan(1e-5);
    }
    assertThat(refilled).as("later rounds refill the network the worker thread kept").isGreaterThanOrEqualTo(2);
    assertThat(distributed.getUpdater().getStateViewArray().amaxNumber().doubleValue()).isPositive();
    assertThat(spark.getScore()).as("the worker reports the real negative ELBO").isGreaterThan(100);
    data.unpersist();
  }

  @Test
  void roundsWithOneMinibatchMoreThanTheAveragingFrequencyFitItToo() {
    TrainSettings train = TrainSettings.from(TestSpark.smallRecipe("train.batch-size-per-worker=10",
        "train.averaging-frequency=2", "train.workers=1")).forWorkers(1);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    List<DataSet> batches = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      batches.add(new DataSet(batch(10, 30 + i), null));
    }
    JavaRDD<DataSet> data = jsc.parallelize(batches, 1);
    VaePretrainingMaster master = VaePretrainingMaster.create(train, 1);
    MultiLayerNetwork net = VaeNetworks.create(VaeSpec.from(TestSpark.smallRecipe()), train, 784);
    new SparkDl4jMultiLayer(jsc, net, master).fit(data);
    RoundTimings timings = master.lastRoundTimings();
    assertThat(timings.rounds()).as("5 minibatches in rounds of 2").isEqualTo(2);
    assertThat(timings.examples()).as("no minibatch skipped").isEqualTo(50);
    assertThat(timings.tasks()).isEqualTo(2);
    assertThat(master.takeRoundScores()).hasSize(2).allSatisfy(score -> assertThat(score).isGreaterThan(100));
  }

  @Test
  void theMasterRefusesDataThatIsNotOnePartitionPerWorker() {
    TrainSettings train = TrainSettings.from(TestSpark.smallRecipe()).forWorkers(2);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    JavaRDD<DataSet> data = jsc.parallelize(List.of(new DataSet(batch(10, 1), null)), 3);
    MultiLayerNetwork net = VaeNetworks.create(VaeSpec.from(TestSpark.smallRecipe()), train, 784);
    assertThatThrownBy(() -> new SparkDl4jMultiLayer(jsc, net, VaePretrainingMaster.create(train, 2)).fit(data))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("The training minibatches must come in 2 partitions, one per worker, not 3");
  }

  private static INDArray batch(int rows, long seed) {
    return Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(seed), rows, 784).castTo(DataType.FLOAT);
  }

  private static double maxAbsDiff(INDArray a, INDArray b) {
    return Transforms.abs(a.sub(b)).maxNumber().doubleValue();
  }
}
