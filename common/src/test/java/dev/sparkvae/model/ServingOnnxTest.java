package dev.sparkvae.model;


import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.io.JsonFiles;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The served graphs of a saved model directory, run by ONNX Runtime against {@link VaeMaths}. */
class ServingOnnxTest {
  private static final double TOLERANCE = 1e-5;
  private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

  @TempDir Path dir;

  /** A VAE with every parameter (biases included) random in [-0.5, 0.5). */
  static MultiLayerNetwork randomNetwork(VaeSpec spec, long seed) {
    MultiLayerNetwork net = VaeNetworks.create(spec, TestNets.train(seed), TestNets.FEATURES);
    net.setParams(Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(seed), 1, net.numParams())
        .castTo(net.params().dataType()).subi(0.5));
    return net;
  }

  /** {@code net}, of {@code spec}, saved to {@code dir}/model and loaded back. */
  static ModelArtifact savedModel(Path dir, VaeSpec spec, MultiLayerNetwork net) throws Exception {
    String target = dir.resolve("model").toString();
    new ModelArtifact(TestNets.info(spec, VaeMaths.of(net).featureCount()), net, List.of())
        .save(target, new Configuration(), false);
    return ModelArtifact.load(target, new Configuration());
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void encoderOnnxEqualsEncodeJoint(String distribution) throws Exception {
    VaeSpec spec = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, "tanh", distribution);
    ModelArtifact model = savedModel(dir, spec, randomNetwork(spec, 3));
    INDArray x = rows(distribution, 37, 5);
    INDArray joint = VaeMaths.of(model.network()).encodeJoint(x);

    Map<String, float[]> out = run(dir.resolve("model/encoder.onnx"), ServingOnnx.X, x);

    assertThat(out).containsOnlyKeys(ServingOnnx.Z_MEAN, ServingOnnx.Z_LOG_VAR);
    assertClose(out.get(ServingOnnx.Z_MEAN), columns(joint, 0, 4), "z_mean");
    assertClose(out.get(ServingOnnx.Z_LOG_VAR), columns(joint, 4, 8), "z_log_var");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void decoderOnnxEqualsTheMeanOfPxz(String distribution) throws Exception {
    VaeSpec spec = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, "elu", distribution);
    ModelArtifact model = savedModel(dir, spec, randomNetwork(spec, 4));
    VaeMaths vae = VaeMaths.of(model.network());
    INDArray z = Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(6), new long[] {23, 4})
        .castTo(DataType.FLOAT);
    INDArray expected = vae.distribution().generateAtMean(vae.decodePreOutput(z));

    Map<String, float[]> out = run(dir.resolve("model/decoder.onnx"), ServingOnnx.Z, z);

    assertThat(out).containsOnlyKeys(ServingOnnx.X_MEAN);
    assertThat(expected.columns()).as("the mean alone, not the Gaussian's log-variance").isEqualTo(TestNets.FEATURES);
    assertClose(out.get(ServingOnnx.X_MEAN), TestNets.rowMajor(expected), "x_mean");
  }

  @Test
  void fashionMnistShapedGraphsRunOnOneAndManyRows() throws Exception {
    VaeSpec spec = new VaeSpec(new int[] {256, 256}, new int[] {256, 256}, 16, "relu", VaeSpec.BERNOULLI);
    MultiLayerNetwork net = VaeNetworks.create(spec, TestNets.train(7), 784);
    for (String bias : List.of("e0b", "e1b", "pZXMeanb", "pZXLogStd2b", "d0b", "d1b", "pXZb")) {
      INDArray param = net.getLayer(0).getParam(bias);
      param.assign(Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(bias.length()), 1, param.length())
          .subi(0.5));
    }
    ModelArtifact model = savedModel(dir, spec, net);
    VaeMaths vae = VaeMaths.of(model.network());
    for (int rows : new int[] {1, 300}) {
      INDArray x = Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(rows), rows, 784).castTo(DataType.FLOAT);
      INDArray joint = vae.encodeJoint(x);
      Map<String, float[]> z = run(dir.resolve("model/encoder.onnx"), ServingOnnx.X, x);
      assertClose(z.get(ServingOnnx.Z_MEAN), columns(joint, 0, 16), rows + " rows: z_mean");
      assertClose(z.get(ServingOnnx.Z_LOG_VAR), columns(joint, 16, 32), rows + " rows: z_log_var");

      INDArray mean = joint.get(NDArrayIndex.all(),
          NDArrayIndex.interval(0, 16)).dup();
      Map<String, float[]> decoded = run(dir.resolve("model/decoder.onnx"), ServingOnnx.Z, mean);
      assertClose(decoded.get(ServingOnnx.X_MEAN), TestNets.rowMajor(
          vae.distribution().generateAtMean(vae.decodePreOutput(mean))), rows + " rows: x_mean");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void modelJsonRecordsTheGraphsActualNamesAndShapes(String distribution) throws Exception {
    VaeSpec spec = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, "relu", distribution);
    OnnxExports onnx = savedModel(dir, spec, randomNetwork(spec, 8)).info().onnx();

    assertThat(onnx.encoder().file()).isEqualTo("encoder.onnx");
    assertThat(onnx.encoder().inputs()).containsExactly("x: float32[N,20]");
    assertThat(onnx.encoder().outputs()).containsExactly("z_mean: float32[N,4]", "z_log_var: float32[N,4]");
    assertThat(onnx.decoder().file()).isEqualTo("decoder.onnx");
    assertThat(onnx.decoder().inputs()).containsExactly("z: float32[N,4]");
    assertThat(onnx.decoder().outputs()).containsExactly("x_mean: float32[N,20]");
    for (OnnxExports.Graph graph : List.of(onnx.encoder(), onnx.decoder())) {
      try (OrtSession session = ENV.createSession(dir.resolve("model").resolve(graph.file()).toString())) {
        assertThat(signatures(session.getInputInfo())).as(graph.file() + " inputs").isEqualTo(graph.inputs());
        assertThat(signatures(session.getOutputInfo())).as(graph.file() + " outputs").isEqualTo(graph.outputs());
      }
    }
    ModelInfo reread = JsonFiles.MAPPER.readValue(dir.resolve("model/model.json").toFile(),
        ModelInfo.class);
    assertThat(reread.onnx()).isEqualTo(onnx);
  }

  /** Rows a model of {@code distribution} sees: in [0, 1] for a Bernoulli, standard normal for a Gaussian. */
  private static INDArray rows(String distribution, int count, long seed) {
    return VaeSpec.GAUSSIAN.equals(distribution)
        ? Nd4j.randn(Nd4j.getRandomFactory().getNewRandomInstance(seed), new long[] {count, TestNets.FEATURES})
            .castTo(DataType.FLOAT)
        : TestNets.data(count, seed);
  }

  /** Runs the graph in {@code file} on {@code input} fed as {@code inputName}; every output, row-major. */
  private static Map<String, float[]> run(Path file, String inputName, INDArray input) throws Exception {
    try (OrtSession session = ENV.createSession(file.toString());
        OnnxTensor tensor = OnnxTensor.createTensor(ENV,
            FloatBuffer.wrap(TestNets.rowMajor(input)), input.shape());
        OrtSession.Result result = session.run(Map.of(inputName, tensor))) {
      Map<String, float[]> outputs = new LinkedHashMap<>();
      result.forEach(entry -> {
        FloatBuffer values = ((OnnxTensor) entry.getValue()).getFloatBuffer();
        float[] array = new float[values.remaining()];
        values.get(array);
        outputs.put(entry.getKey(), array);
      });
      return outputs;
    }
  }

  /** The row-major columns [from, to) of {@code array}. */
  private static float[] columns(INDArray array, int from, int to) {
    return TestNets.rowMajor(array.get(NDArrayIndex.all(),
        NDArrayIndex.interval(from, to)));
  }

  /** |actual − expected| ≤ 1e-5 · max(1, |expected|) element by element. */
  private static void assertClose(float[] actual, float[] expected, String what) {
    assertThat(actual).as(what + ": length").hasSameSizeAs(expected);
    for (int i = 0; i < actual.length; i++) {
      assertThat((double) Math.abs(actual[i] - expected[i])).as("%s[%d]: %s vs %s", what, i, actual[i], expected[i])
          .isLessThanOrEqualTo(TOLERANCE * Math.max(1, Math.abs(expected[i])));
    }
  }

  /** ONNX Runtime's view of the values as "name: float32[N,20]", symbolic dimensions by name. */
  private static List<String> signatures(Map<String, NodeInfo> values) {
    List<String> signatures = new ArrayList<>();
    for (NodeInfo value : values.values()) {
      TensorInfo tensor = (TensorInfo) value.getInfo();
      assertThat(tensor.type).as(value.getName()).isEqualTo(OnnxJavaType.FLOAT);
      List<String> dims = new ArrayList<>();
      for (int d = 0; d < tensor.getShape().length; d++) {
        dims.add(tensor.getShape()[d] < 0 ? tensor.getDimensionNames()[d] : Long.toString(tensor.getShape()[d]));
      }
      signatures.add(value.getName() + ": float32[" + String.join(",", dims) + "]");
    }
    return signatures;
  }
}
