package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.train.VaePretrainingMaster;
import dev.sparkvae.train.VaePretrainingStep;
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
    TrainSettings train = TrainSettings.from(settings);
    INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(5), 40, 784).castTo(DataType.FLOAT);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    JavaRDD<DataSet> data = jsc.parallelize(List.of(new DataSet(x, null)), 1)
        .persist(VaePretrainingMaster.TRAINING_DATA_STORAGE);

    MultiLayerNetwork distributed = VaeNetworks.create(spec, train, 784);
    SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, distributed,
        VaePretrainingMaster.create(train, 1));
    MultiLayerNetwork local = VaeNetworks.create(spec, train, 784);
    assertThat(distributed.params()).isEqualTo(local.params());

    for (int round = 0; round < 4; round++) {
      spark.fit(data);
      VaePretrainingStep.fit(local, x, NoiseSeeds.of(train.seed(), 0, round));
      INDArray sparkState = distributed.getUpdater().getStateViewArray();
      INDArray localState = local.getUpdater().getStateViewArray();
      assertThat(maxAbsDiff(sparkState, localState)).as("Adam state after round %d is carried", round)
          .isLessThan(1e-6);
      assertThat(maxAbsDiff(distributed.params(), local.params())).as("parameters after round %d", round)
          .isLessThan(1e-5);
    }
    assertThat(distributed.getUpdater().getStateViewArray().amaxNumber().doubleValue()).isPositive();
    assertThat(spark.getScore()).as("the worker reports the real negative ELBO").isGreaterThan(100);
    data.unpersist();
  }

  private static double maxAbsDiff(INDArray a, INDArray b) {
    return Transforms.abs(a.sub(b)).maxNumber().doubleValue();
  }
}
