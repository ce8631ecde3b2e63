package dev.sparkvae.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.model.TestNets;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

class OnnxRuntimeScorerTest {
  private static final int ROWS = 40;

  private static long[] ids(int count) {
    long[] ids = new long[count];
    for (int i = 0; i < count; i++) {
      ids[i] = 1000 + 7L * i;
    }
    return ids;
  }

  private static MultiLayerNetwork network(String distribution, long seed) {
    VaeSpec spec = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, "tanh", distribution);
    return VaeNetworks.create(spec, TestNets.train(seed), TestNets.FEATURES);
  }

  private static void assertClose(float[] actual, float[] expected, double relative) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat((double) actual[i]).as("value %d", i)
          .isCloseTo(expected[i], within(relative * Math.max(1, Math.abs(expected[i]))));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void agreesWithTheNd4jScorerOnEveryScore(String distribution) {
    MultiLayerNetwork net = network(distribution, 5);
    INDArray x = TestNets.data(ROWS, 6);
    BatchScorer.Scores reference = new Nd4jScorer(VaeMaths.of(net), 8, true, 99).score(x, ids(ROWS));
    try (OnnxRuntimeScorer scorer = new OnnxRuntimeScorer(net, 8, true, 99, 2)) {
      BatchScorer.Scores scores = scorer.score(x, ids(ROWS));
      assertClose(scores.joint(), reference.joint(), 1e-5);
      assertClose(scores.reconstructionError(), reference.reconstructionError(), 1e-5);
      assertClose(scores.anomalyScore(), reference.anomalyScore(), 1e-5);
      assertClose(scores.logProb(), reference.logProb(), 1e-5);
      assertClose(scores.negativeElbo(), reference.negativeElbo(), 1e-5);
      assertClose(scores.reconstruction(), reference.reconstruction(), 1e-5);
      BatchScorer.Scores alone = scorer.score(x.getRow(ROWS - 1, true).dup(), new long[] {ids(ROWS)[ROWS - 1]});
      assertThat(alone.logProb()[0]).as("a row's values do not depend on its batch")
          .isEqualTo(scores.logProb()[ROWS - 1]);
      assertThat(alone.reconstructionError()[0]).isEqualTo(scores.reconstructionError()[ROWS - 1]);
    }
  }

  /**
   * Each engine's attribution of every feature: its contributions add up to its anomaly score, sorted largest first
   * with their values and expected values; the engines agree on each feature's contribution; the K largest are the
   * first K of them; a K outside 0..features is refused.
   */
  @ParameterizedTest
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void bothEnginesAttributeTheAnomalyScoreToTheSameFeatures(String distribution) {
    MultiLayerNetwork net = network(distribution, 11);
    int features = TestNets.FEATURES;
    INDArray x = TestNets.data(ROWS, 12);
    float[] rows = TestNets.rowMajor(x);
    BatchScorer.Scores reference = new Nd4jScorer(VaeMaths.of(net), 0, false, features, 7).score(x, ids(ROWS));
    try (OnnxRuntimeScorer scorer = new OnnxRuntimeScorer(net, 0, false, features, 7, 1);
        OnnxRuntimeScorer top = new OnnxRuntimeScorer(net, 0, false, 3, 7, 1)) {
      BatchScorer.Scores scores = scorer.score(x, ids(ROWS));
      Attribution firstThree = top.score(x, ids(ROWS)).attribution();
      for (BatchScorer.Scores engine : new BatchScorer.Scores[] {reference, scores}) {
        Attribution attribution = engine.attribution();
        for (int r = 0; r < ROWS; r++) {
          double sum = 0;
          for (int i = 0; i < features; i++) {
            int at = r * features + i;
            int f = attribution.index()[at];
            sum += attribution.contribution()[at];
            assertThat(attribution.value()[at]).isEqualTo(rows[r * features + f]);
            assertThat(attribution.expected()[at]).isEqualTo(engine.reconstruction()[r * features + f]);
            if (i > 0) {
              assertThat(attribution.contribution()[at]).as("row %d, place %d", r, i)
                  .isLessThanOrEqualTo(attribution.contribution()[at - 1]);
            }
          }
          assertThat(sum).as("row %d", r)
              .isCloseTo(engine.anomalyScore()[r], within(1e-5 * engine.anomalyScore()[r]));
        }
      }
      float[] byFeature = new float[ROWS * features];
      float[] referenceByFeature = new float[ROWS * features];
      for (int at = 0; at < ROWS * features; at++) {
        int row = at / features * features;
        byFeature[row + scores.attribution().index()[at]] = scores.attribution().contribution()[at];
        referenceByFeature[row + reference.attribution().index()[at]] = reference.attribution().contribution()[at];
      }
      assertClose(byFeature, referenceByFeature, 1e-5);
      for (int r = 0; r < ROWS; r++) {
        for (int i = 0; i < 3; i++) {
          assertThat(firstThree.index()[r * 3 + i]).isEqualTo(scores.attribution().index()[r * features + i]);
        }
      }
    }
    assertThatThrownBy(() -> new Nd4jScorer(VaeMaths.of(net), 0, false, features + 1, 7))
        .hasMessage("Cannot attribute 21 features: the value must be from 0 (none) to the model's feature count, "
            + "20");
    assertThatThrownBy(() -> new Nd4jScorer(VaeMaths.of(net), 0, false, -1, 7))
        .hasMessageContaining("Cannot attribute -1 features");
  }

  /**
   * A decoder that reconstructs {@code x} exactly whatever z is: its last layer's weights 0 and its bias the
   * logits of x (Bernoulli) or [x | log σ²] (Gaussian).
   */
  private static MultiLayerNetwork perfectDecoder(String distribution, float[] x) {
    MultiLayerNetwork net = network(distribution, 3);
    var params = net.getLayer(0).paramTable();
    params.get("pXZW").assign(0);
    INDArray bias = params.get("pXZb");
    for (int f = 0; f < x.length; f++) {
      if (distribution.equals(VaeSpec.BERNOULLI)) {
        bias.putScalar(f, x[f] == 0 ? -40 : x[f] == 1 ? 40 : Math.log(x[f] / (1 - x[f])));
      } else {
        bias.putScalar(f, x[f]);
        bias.putScalar(x.length + f, -3 + 0.3 * f);
      }
    }
    return net;
  }

  @ParameterizedTest
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void theAnomalyScoreOfAPerfectReconstructionIsZeroAtEveryGreyLevel(String distribution) {
    float[] grey = new float[TestNets.FEATURES];
    for (int f = 0; f < grey.length; f++) {
      grey[f] = f / (grey.length - 1f);
    }
    MultiLayerNetwork net = perfectDecoder(distribution, grey);
    float[] other = grey.clone();
    other[3] = 1 - other[3];
    float[] rows = new float[2 * grey.length];
    System.arraycopy(grey, 0, rows, 0, grey.length);
    System.arraycopy(other, 0, rows, grey.length, grey.length);
    int features = grey.length;
    BatchScorer.Scores reference = new Nd4jScorer(VaeMaths.of(net), 0, false, features, 1).score(rows, 2, ids(2));
    try (OnnxRuntimeScorer scorer = new OnnxRuntimeScorer(net, 0, false, features, 1, 1)) {
      for (BatchScorer.Scores scores : new BatchScorer.Scores[] {reference, scorer.score(rows, 2, ids(2))}) {
        if (distribution.equals(VaeSpec.GAUSSIAN)) {
          // μ is x to the bit, so every other feature contributes exactly 0: ties, listed by index.
          int[] order = IntStream.concat(IntStream.of(3), IntStream.range(0, features).filter(f -> f != 3)).toArray();
          assertThat(Arrays.copyOfRange(scores.attribution().index(), features, 2 * features)).containsExactly(order);
        }
        assertThat(scores.anomalyScore()[0]).as("a perfect reconstruction").isCloseTo(0f, within(1e-4f));
        assertThat(scores.reconstructionError()[0]).as("while its -log p(x|z) is not 0")
            .isNotCloseTo(0f, within(1f));
        // One feature off by 1 - 2x: the deviance of that feature alone, derived from its definition.
        double x = other[3];
        double p = grey[3];
        double expected = distribution.equals(VaeSpec.BERNOULLI)
            ? (x > 0 ? x * Math.log(x / p) : 0) + (x < 1 ? (1 - x) * Math.log((1 - x) / (1 - p)) : 0)
            : 0.5 * (x - p) * (x - p) / Math.exp(-3 + 0.3 * 3);
        assertThat((double) scores.anomalyScore()[1]).as("one feature off").isCloseTo(expected, within(1e-4));
      }
    }
  }

  @Test
  void withoutSamplesOrReconstructionOnlyTheErrorIsComputed() {
    MultiLayerNetwork net = network(VaeSpec.BERNOULLI, 8);
    INDArray x = TestNets.data(3, 9);
    try (OnnxRuntimeScorer scorer = new OnnxRuntimeScorer(net, 0, false, 1, 1)) {
      BatchScorer.Scores scores = scorer.score(x, ids(3));
      assertThat(scores.logProb()).isNull();
      assertThat(scores.negativeElbo()).isNull();
      assertThat(scores.reconstruction()).isNull();
      assertClose(scores.reconstructionError(),
          new Nd4jScorer(VaeMaths.of(net), 0, false, 1).score(x, ids(3)).reconstructionError(), 1e-5);
    }
  }

  /**
   * Logits pushed to ±30 saturate the sigmoid in float: DL4J's form would count log(1 − σ(30)) = log 0 as 0. Both
   * engines give the exact −log p(x|z) = Σ softplus(a) − x·a, computed here in double from the decoder's logits.
   */
  @Test
  void saturatedLogitsCostWhatTheyShould() {
    MultiLayerNetwork net = network(VaeSpec.BERNOULLI, 3);
    INDArray bias = net.getLayer(0).getParam("pXZb");
    for (int f = 0; f < TestNets.FEATURES; f++) {
      bias.putScalar(f, f % 2 == 0 ? 30.0 : -30.0);
    }
    INDArray x = TestNets.data(4, 4);
    VaeMaths model = VaeMaths.of(net);
    INDArray logits = model.decodePreOutput(model.encode(x)[0]);
    float[] expected = new float[4];
    for (int r = 0; r < 4; r++) {
      double nll = 0;
      for (int f = 0; f < TestNets.FEATURES; f++) {
        double a = logits.getDouble(r, f);
        nll += Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))) - x.getDouble(r, f) * a;
      }
      expected[r] = (float) nll;
    }
    assertThat(expected[0]).as("saturated pixels cost tens of nats").isGreaterThan(100f);
    assertClose(new Nd4jScorer(model, 0, false, 1).score(x, ids(4)).reconstructionError(), expected, 1e-5);
    try (OnnxRuntimeScorer scorer = new OnnxRuntimeScorer(net, 0, false, 1, 1)) {
      assertClose(scorer.score(x, ids(4)).reconstructionError(), expected, 1e-5);
    }
  }

  @Test
  void anUnknownEngineOrThreadCountIsRefusedByName() {
    MultiLayerNetwork net = network(VaeSpec.BERNOULLI, 1);
    assertThatThrownBy(() -> InferenceEngines.scorer("tvm", net, 1, 4, false, 0, 0))
        .hasMessage("Cannot create encoder engine \"tvm\": the name must be one of nd4j, onnxruntime");
    assertThatThrownBy(() -> InferenceEngines.scorer(InferenceEngines.ONNXRUNTIME, net, 0, 4, false, 0, 0))
        .hasMessage("Cannot set the encoder threads to 0: the value must be a positive integer");
    assertThat(InferenceEngines.scorer(InferenceEngines.ND4J, net, 1, 4, false, 0, 0)).isInstanceOf(Nd4jScorer.class);
  }
}
