package dev.sparkvae.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.model.OnnxGraph;
import dev.sparkvae.model.TestNets;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class OnnxRuntimeEncoderEngineTest {
  private static final double TOLERANCE = 1e-5;

  static Stream<Arguments> activationsAndBatches() {
    List<Arguments> cases = new ArrayList<>();
    for (String activation : List.of("relu", "tanh", "leakyrelu", "sigmoid", "elu", "softplus", "identity")) {
      for (int rows : new int[] {1, 7, 300}) {
        cases.add(Arguments.of(activation, rows));
      }
    }
    return cases.stream();
  }

  /** A VAE of TestNets' shape with every parameter (biases included) random in [-0.5, 0.5). */
  static MultiLayerNetwork network(String activation, long seed) {
    VaeSpec spec = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, activation, VaeSpec.BERNOULLI);
    MultiLayerNetwork net = VaeNetworks.create(spec, TestNets.train(seed), TestNets.FEATURES);
    INDArray params = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(seed), 1, net.numParams())
        .castTo(net.params().dataType()).subi(0.5);
    net.setParams(params);
    return net;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    assertThat(a).as("lengths").hasSameSizeAs(b);
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      max = Math.max(max, Math.abs(a[i] - b[i]));
    }
    return max;
  }

  @ParameterizedTest(name = "{0}, {1} rows")
  @MethodSource("activationsAndBatches")
  void onnxRuntimeEqualsVaeMathsAndTheDl4jLayer(String activation, int rows) {
    MultiLayerNetwork net = network(activation, 11);
    INDArray x = TestNets.data(rows, 5);
    INDArray expected = VaeMaths.of(net).encodeJoint(x);
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, net, 2)) {
      float[] joint = engine.encodeJoint(TestNets.rowMajor(x), rows);

      assertThat(maxAbsDiff(joint, TestNets.rowMajor(expected))).as("ORT vs VaeMaths.encodeJoint").isLessThanOrEqualTo(
          TOLERANCE);
      INDArray mean = Nd4j.create(joint, new long[] {rows, 8}, 'c').get(NDArrayIndex.all(),
          NDArrayIndex.interval(0, 4));
      assertThat(maxAbsDiff(TestNets.rowMajor(mean), TestNets.rowMajor(net.output(x)))).as("ORT mean vs DL4J's net.output")
          .isLessThanOrEqualTo(TOLERANCE);
      assertThat(maxAbsDiff(TestNets.rowMajor(mean), TestNets.rowMajor(expected.get(NDArrayIndex.all(),
          NDArrayIndex.interval(4, 8))))).as("the log-variance half differs from the mean half").isGreaterThan(1e-3);
    }
  }

  @Test
  void fashionMnistShapedEncoderAgreesWithinTolerance() {
    VaeSpec spec = new VaeSpec(new int[] {256, 256}, new int[] {256, 256}, 16, "relu", VaeSpec.BERNOULLI);
    MultiLayerNetwork net = VaeNetworks.create(spec, TestNets.train(3), 784);
    for (String bias : List.of("e0b", "e1b", "pZXMeanb", "pZXLogStd2b")) {
      net.getLayer(0).getParam(bias).assign(Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(bias.length()),
          1, net.getLayer(0).getParam(bias).length()).subi(0.5));
    }
    INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(9), 300, 784).castTo(
        net.params().dataType());
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, net, 2)) {
      assertThat(maxAbsDiff(engine.encodeJoint(TestNets.rowMajor(x), 300), TestNets.rowMajor(VaeMaths.of(net).encodeJoint(x))))
          .as("ORT vs ND4J on 784-256-256-16").isLessThanOrEqualTo(TOLERANCE);
    }
  }

  @Test
  void nd4jEngineIsVaeMaths() {
    MultiLayerNetwork net = network("tanh", 2);
    INDArray x = TestNets.data(7, 3);
    float[] rows = TestNets.rowMajor(x);
    float[] longer = java.util.Arrays.copyOf(rows, rows.length + 5);
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ND4J, net, 1)) {
      assertThat(engine).isInstanceOf(Nd4jEncoderEngine.class);
      assertThat(engine.featureCount()).isEqualTo(TestNets.FEATURES);
      assertThat(engine.latentSize()).isEqualTo(4);
      assertThat(engine.encodeJoint(rows, 7)).containsExactly(TestNets.rowMajor(VaeMaths.of(net).encodeJoint(x)));
      assertThat(engine.encodeJoint(longer, 7)).as("extra floats are ignored").containsExactly(
          engine.encodeJoint(rows, 7));
      assertThat(engine.encodeJoint(rows, 0)).isEmpty();
    }
  }

  @Test
  void onnxRuntimeIgnoresExtraFloatsAndReusesBuffersAcrossBatchSizes() {
    MultiLayerNetwork net = network("relu", 4);
    INDArray x = TestNets.data(50, 6);
    float[] rows = TestNets.rowMajor(x);
    float[] expected = TestNets.rowMajor(VaeMaths.of(net).encodeJoint(x));
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, net, 1)) {
      assertThat(engine).isInstanceOf(OnnxRuntimeEncoderEngine.class);
      assertThat(engine.featureCount()).isEqualTo(TestNets.FEATURES);
      assertThat(engine.latentSize()).isEqualTo(4);
      for (int count : new int[] {50, 3, 50, 1, 20}) {
        assertThat(maxAbsDiff(engine.encodeJoint(rows, count), java.util.Arrays.copyOf(expected, count * 8)))
            .as("first %d rows of a 50-row array", count).isLessThanOrEqualTo(TOLERANCE);
      }
      assertThat(engine.encodeJoint(rows, 0)).isEmpty();
    }
  }

  @Test
  void oneOnnxRuntimeEngineServesConcurrentCallers() throws Exception {
    MultiLayerNetwork net = network("elu", 8);
    INDArray x = TestNets.data(200, 9);
    float[] rows = TestNets.rowMajor(x);
    float[] expected = TestNets.rowMajor(VaeMaths.of(net).encodeJoint(x));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, net, 1)) {
      List<Future<Double>> diffs = new ArrayList<>();
      for (int task = 0; task < 16; task++) {
        int count = 50 + 10 * task;
        diffs.add(pool.submit(() -> {
          double worst = 0;
          for (int call = 0; call < 20; call++) {
            worst = Math.max(worst, maxAbsDiff(engine.encodeJoint(rows, count),
                java.util.Arrays.copyOf(expected, count * 8)));
          }
          return worst;
        }));
      }
      for (Future<Double> diff : diffs) {
        assertThat(diff.get()).as("a concurrent caller's result").isLessThanOrEqualTo(TOLERANCE);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void closedEngineRefusesWork() {
    EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, network("relu", 1), 1);
    engine.close();
    engine.close();
    assertThatThrownBy(() -> engine.encodeJoint(new float[TestNets.FEATURES], 1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("Cannot encode with a closed ONNX Runtime engine");
  }

  @Test
  void tooFewFloatsAreRejected() {
    try (EncoderEngine engine = InferenceEngines.create(InferenceEngines.ONNXRUNTIME, network("relu", 1), 1)) {
      assertThatThrownBy(() -> engine.encodeJoint(new float[39], 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Cannot encode 2 rows of 20 features from 39 floats: the array must hold at least 40");
      assertThatThrownBy(() -> engine.encodeJoint(new float[40], -1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Cannot encode -1 rows: the count must be 0 or more");
    }
  }

  @Test
  void unknownEngineNameIsRejected() {
    MultiLayerNetwork net = network("relu", 1);
    assertThatThrownBy(() -> InferenceEngines.create("tensorrt", net, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot create encoder engine \"tensorrt\": the name must be one of nd4j, onnxruntime");
    assertThatThrownBy(() -> InferenceEngines.create(InferenceEngines.ONNXRUNTIME, net, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot set the encoder threads to 0: the value must be a positive integer");
  }

  @Test
  void aModelWithoutTheEncoderContractIsRejected() {
    byte[] model = new OnnxGraph("not_an_encoder")
        .input("a", OnnxGraph.BATCH, 3)
        .output("b", OnnxGraph.BATCH, 3)
        .node("Relu", new String[] {"a"}, "b", null)
        .toBytes();
    assertThatThrownBy(() -> new OnnxRuntimeEncoderEngine(model, 1, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot use the ONNX model as an encoder: it has no float tensor x (found [a])");
    assertThatThrownBy(() -> new OnnxRuntimeEncoderEngine(new byte[] {1, 2, 3}, 1, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot load the ONNX encoder model: ");
  }
}
