package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.VaeMaths;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The served graphs of a model that train wrote, on real Fashion-MNIST rows, against the saved network. */
class TrainedModelOnnxTest {
  private static final int ROWS = 100;
  private static final double TOLERANCE = 1e-5;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"bernoulli", "gaussian"})
  void encoderAndDecoderOnnxGiveTheSavedNetworksValuesOnSampleRows(String distribution) throws Exception {
    String model = dir.resolve("model").toString();
    new TrainJob(TestSpark.session(), TestSpark.smallRecipe("train.epochs=1", "vae.distribution=" + distribution),
        new TrainJob.Options().input(TestSpark.SAMPLE.resolve("train").toString()).model(model)).run();
    VaeMaths vae = VaeMaths.of(ModelArtifact.load(model, new Configuration()).network());
    float[] rows = sampleRows();
    INDArray x = Nd4j.create(rows, new long[] {ROWS, 784}, 'c');
    INDArray joint = vae.encodeJoint(x);
    INDArray zMean = joint.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 8)).dup('c');

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession encoder = env.createSession(dir.resolve("model/encoder.onnx").toString());
        OrtSession decoder = env.createSession(dir.resolve("model/decoder.onnx").toString());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(rows), new long[] {ROWS, 784});
        OrtSession.Result z = encoder.run(Map.of("x", input));
        OnnxTensor latents = OnnxTensor.createTensor(env, FloatBuffer.wrap(floats(zMean)), new long[] {ROWS, 8});
        OrtSession.Result decoded = decoder.run(Map.of("z", latents))) {
      assertClose(z, "z_mean", zMean);
      assertClose(z, "z_log_var", joint.get(NDArrayIndex.all(), NDArrayIndex.interval(8, 16)));
      assertClose(decoded, "x_mean", vae.distribution().generateAtMean(vae.decodePreOutput(zMean)));
    }
  }

  /** The features of the first {@value #ROWS} rows of the sample's test split, row-major. */
  private static float[] sampleRows() {
    List<Row> rows = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString())
        .orderBy("id").limit(ROWS).select("features").collectAsList();
    float[] values = new float[ROWS * 784];
    for (int r = 0; r < ROWS; r++) {
      List<Float> features = rows.get(r).getList(0);
      for (int f = 0; f < 784; f++) {
        values[r * 784 + f] = features.get(f);
      }
    }
    return values;
  }

  private static float[] floats(INDArray array) {
    return array.dup('c').data().asFloat();
  }

  private static void assertClose(OrtSession.Result result, String name, INDArray expected) throws Exception {
    FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
    float[] actual = new float[buffer.remaining()];
    buffer.get(actual);
    float[] wanted = floats(expected);
    assertThat(actual).as(name + ": length").hasSameSizeAs(wanted);
    for (int i = 0; i < actual.length; i++) {
      assertThat((double) Math.abs(actual[i] - wanted[i])).as("%s[%d]: %s vs %s", name, i, actual[i], wanted[i])
          .isLessThanOrEqualTo(TOLERANCE * Math.max(1, Math.abs(wanted[i])));
    }
  }
}
