package dev.sparkvae.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.model.TestNets;
import dev.sparkvae.model.VaeNetworks;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

class VaePretrainingStepTest {
  @Test
  void stepsMatchDl4jLayerwisePretrainingGivenTheSameNoise() {
    MultiLayerNetwork ours = TestNets.network(11);
    MultiLayerNetwork reference = TestNets.network(11);
    for (int step = 0; step < 5; step++) {
      INDArray x = TestNets.data(32, 100 + step);
      VaePretrainingStep.fit(ours, x, 1000 + step);
      Nd4j.getRandom().setSeed(1000 + step);
      reference.pretrainLayer(0, x);
    }
    double maxDiff = Transforms.abs(ours.params().sub(reference.params())).maxNumber().doubleValue();
    assertThat(maxDiff).as("Adam on every parameter, as DL4J's own pretraining does").isLessThan(1e-5);
    assertThat(ours.getLayerWiseConfigurations().getIterationCount()).isEqualTo(5);
  }

  @Test
  void aStepIsRepeatableInOneProcessForEverySeedZeroIncluded() {
    INDArray x = TestNets.data(16, 2);
    for (long seed : new long[] {0, 1, -7}) {
      MultiLayerNetwork first = TestNets.network(3);
      MultiLayerNetwork second = TestNets.network(3);
      double a = VaePretrainingStep.fit(first, x, seed);
      Nd4j.getRandom().nextLong(); // generator state left by other work must not matter
      double b = VaePretrainingStep.fit(second, x, seed);
      assertThat(b).as("loss with seed %d", seed).isEqualTo(a);
      assertThat(second.params().equalsWithEps(first.params(), 0)).as("parameters after seed %d", seed).isTrue();
    }
    assertThat(VaePretrainingStep.fit(TestNets.network(3), x, 1))
        .isNotEqualTo(VaePretrainingStep.fit(TestNets.network(3), x, 0));
  }

  @Test
  void usesTheNetworksUpdaterForEveryParameterAndReportsTheRealScore() {
    MultiLayerNetwork net = TestNets.network(5);
    Map<String, INDArray> before = new java.util.HashMap<>();
    net.paramTable().forEach((key, value) -> before.put(key, value.dup()));
    double first = VaePretrainingStep.fit(net, TestNets.data(64, 1), 1);
    INDArray state = net.getUpdater().getStateViewArray();
    assertThat(state.length()).as("Adam keeps two moments per parameter").isEqualTo(2 * net.numParams());
    double zeroMoments = state.eq(0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
    assertThat(zeroMoments).as("network-level Adam state moved (zeros only where a ReLU unit is dead)")
        .isLessThan(0.2);
    for (Map.Entry<String, INDArray> param : net.paramTable().entrySet()) {
      assertThat(param.getValue().equalsWithEps(before.get(param.getKey()), 0)).as("parameter %s changed", param.getKey()).isFalse();
    }
    assertThat(first).isGreaterThan(1.0);
    assertThat(net.score()).isEqualTo(first);
  }

  @Test
  void theScoreIsTheExactNegativeElboEvenOfPixelsDl4jCountsAsFree() {
    double score = VaePretrainingStep.fit(NoiseFreeVae.network(), NoiseFreeVae.rows(3), 1);
    assertThat(score).as("KL + 10 wrong pixels at 30 nats + 5 coins at log 2 (float sums)")
        .isCloseTo(NoiseFreeVae.negativeElbo(), within(1e-4));
  }

  /**
   * train.l2 = λ adds λ·w to the mean gradient of every weight (not the biases): with plain SGD at learning rate η
   * the step from the same parameters, data and noise moves each weight by exactly η·λ·w more towards 0 than with
   * λ = 0, to float rounding (weights are below 0.25, where a float ulp is 3e-8); the reported loss leaves the
   * penalty out.
   */
  @Test
  void anL2PenaltyDecaysEveryWeightByLearningRateTimesL2TimesTheWeight() {
    double learningRate = 0.1;
    double l2 = 0.5;
    MultiLayerNetwork plain = sgdNetwork(learningRate, 0);
    MultiLayerNetwork penalised = sgdNetwork(learningRate, l2);
    Map<String, INDArray> before = new java.util.HashMap<>();
    plain.paramTable().forEach((key, value) -> before.put(key, value.dup()));
    assertThat(penalised.params()).as("the same start").isEqualTo(plain.params());

    INDArray x = TestNets.data(32, 4);
    double plainLoss = VaePretrainingStep.fit(plain, x, 9);
    double penalisedLoss = VaePretrainingStep.fit(penalised, x, 9);

    assertThat(penalisedLoss).as("the loss reported, without the penalty").isEqualTo(plainLoss);
    for (Map.Entry<String, INDArray> param : before.entrySet()) {
      String name = param.getKey();
      INDArray difference = penalised.paramTable().get(name).sub(plain.paramTable().get(name));
      INDArray expected = name.endsWith("W") ? param.getValue().mul(-learningRate * l2) : param.getValue().mul(0);
      double error = Transforms.abs(difference.sub(expected)).maxNumber().doubleValue();
      assertThat(error).as("%s: penalised minus plain step, less −η·λ·w", name).isLessThan(5e-8);
    }
  }

  private static MultiLayerNetwork sgdNetwork(double learningRate, double l2) {
    TrainSettings train = TrainSettings.from(Settings.load(null, null, List.of("train.seed=11", "train.updater=sgd",
        "train.learning-rate=" + learningRate, "train.l2=" + l2)));
    return VaeNetworks.create(TestNets.SPEC, train, TestNets.FEATURES);
  }
}
