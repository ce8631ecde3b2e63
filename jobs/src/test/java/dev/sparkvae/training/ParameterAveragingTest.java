package dev.sparkvae.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.jobs.TestSpark;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeNetworks;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Two workers with rounds of unequal length (5 minibatches each, averaging every 2: rounds of 3 and 2 steps), against
 * the same training computed here without Spark: every worker steps from the round's state with the noise seed of
 * its partition and iteration, then parameters and updater state (SGD has none) are the mean of the workers'. With an outer step, the
 * driver then moves from the round's start along the averaged update with Nesterov momentum, computed here on plain
 * float arrays: v = β·v + Δ, θ = θ_start + α·(Δ + β·v), Adam's state staying the mean.
 */
class ParameterAveragingTest {
  private static final int WORKERS = 2;
  private static final int MINIBATCHES_PER_WORKER = 5;
  private static final int ROWS = 10;

  @ParameterizedTest(name = "{0}, outer momentum {1}, outer learning rate {2}")
  @CsvSource({"sgd, 0.0, 1.0", "adam, 0.0, 1.0", "adam, 0.9, 0.7", "adam, 0.0, 2.0"})
  void twoWorkersAverageTheirParametersAndCountEveryStep(String updater, double momentum, double outerRate) {
    Settings settings = TestSpark.smallRecipe("train.batch-size-per-worker=" + ROWS, "train.averaging-frequency=2",
        "train.workers=" + WORKERS, "train.seed=5", "train.outer-momentum=" + momentum,
        "train.outer-learning-rate=" + outerRate, "train.updater=" + updater);
    VaeSpec spec = VaeSpec.from(settings);
    TrainSettings train = TrainSettings.from(settings);
    List<List<INDArray>> shares = new ArrayList<>();
    List<DataSet> minibatches = new ArrayList<>();
    for (int worker = 0; worker < WORKERS; worker++) {
      List<INDArray> share = new ArrayList<>();
      for (int i = 0; i < MINIBATCHES_PER_WORKER; i++) {
        INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(100L * worker + i), ROWS, 784)
            .castTo(DataType.FLOAT);
        share.add(x);
        minibatches.add(new DataSet(x, null));
      }
      shares.add(share);
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    JavaRDD<DataSet> data = jsc.parallelize(minibatches, WORKERS).persist(VaePretrainingMaster.TRAINING_DATA_STORAGE);
    MultiLayerNetwork distributed = VaeNetworks.create(spec, train, 784);
    SparkDl4jMultiLayer spark = new SparkDl4jMultiLayer(jsc, distributed, VaePretrainingMaster.create(train, WORKERS));
    MultiLayerNetwork expected = VaeNetworks.create(spec, train, 784);
    float[] velocity = null;
    for (int epoch = 1; epoch <= 2; epoch++) {
      spark.fit(data);
      for (int round = 0; round < 2; round++) {
        float[] start = expected.params().toFloatVector();
        averagedRound(expected, spec, train, shares, round, 2);
        velocity = outerStep(expected, start, velocity, (float) momentum, (float) outerRate);
      }
      assertThat(distributed.getLayerWiseConfigurations().getIterationCount())
          .as("steps per worker after epoch %d", epoch).isEqualTo(epoch * MINIBATCHES_PER_WORKER);
      assertThat(distributed.params()).as("parameters after epoch %d", epoch).isEqualTo(expected.params());
      assertThat(distributed.getUpdater().getStateViewArray() == null).as("no updater state for sgd")
          .isEqualTo(updater.equals("sgd"));
      assertThat(distributed.getUpdater().getStateViewArray()).as("updater state after epoch %d", epoch)
          .isEqualTo(expected.getUpdater().getStateViewArray());
    }
    data.unpersist();
  }

  /** The outer step on plain floats, in the order of the master's operations; returns the new velocity. */
  private static float[] outerStep(MultiLayerNetwork net, float[] start, float[] velocity, float momentum,
      float rate) {
    float[] average = net.params().toFloatVector();
    float[] next = new float[average.length];
    float[] params = new float[average.length];
    for (int i = 0; i < average.length; i++) {
      float delta = average[i] - start[i];
      next[i] = velocity == null ? delta : velocity[i] * momentum + delta;
      params[i] = start[i] + (delta + next[i] * momentum) * rate;
    }
    if (momentum != 0 || rate != 1) {
      net.setParams(Nd4j.createFromArray(params).reshape(1, params.length));
    }
    return next;
  }

  /** One round computed without Spark: round {@code round} of {@code rounds} takes minibatch i when i % rounds is it. */
  private static void averagedRound(MultiLayerNetwork net, VaeSpec spec, TrainSettings train,
      List<List<INDArray>> shares, int round, int rounds) {
    int start = net.getLayerWiseConfigurations().getIterationCount();
    INDArray paramSum = null;
    INDArray stateSum = null;
    int mostSteps = 0;
    for (int worker = 0; worker < shares.size(); worker++) {
      MultiLayerNetwork copy = VaeNetworks.create(spec, train, 784);
      copy.setParams(net.params().dup());
      if (net.getUpdater().getStateViewArray() != null) {
        copy.getUpdater().getStateViewArray().assign(net.getUpdater().getStateViewArray());
      }
      copy.getLayerWiseConfigurations().setIterationCount(start);
      copy.getLayerWiseConfigurations().setEpochCount(net.getLayerWiseConfigurations().getEpochCount());
      int steps = 0;
      for (int i = round; i < shares.get(worker).size(); i += rounds) {
        VaePretrainingStep.fit(copy, shares.get(worker).get(i), NoiseSeeds.of(train.seed(), worker, start + steps));
        steps++;
      }
      mostSteps = Math.max(mostSteps, steps);
      paramSum = paramSum == null ? copy.params().dup() : paramSum.addi(copy.params());
      INDArray state = copy.getUpdater().getStateViewArray();
      if (state != null) {
        stateSum = stateSum == null ? state.dup() : stateSum.addi(state);
      }
    }
    net.setParams(paramSum.divi(shares.size()));
    if (stateSum != null) {
      net.getUpdater().getStateViewArray().assign(stateSum.divi(shares.size()));
    }
    net.getLayerWiseConfigurations().setIterationCount(start + mostSteps);
  }
}
