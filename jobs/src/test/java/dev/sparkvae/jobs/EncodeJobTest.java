package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.cli.Failures;
import dev.sparkvae.config.InferenceSettings;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class EncodeJobTest {
  @TempDir Path dir;

  private String input(int files) {
    String path = dir.resolve("input").toString();
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString()).repartition(files)
        .write().parquet(path);
    return path;
  }

  private EncodeJob.Options options(String input, String model, String output, String engine) {
    return new EncodeJob.Options().input(input).model(model).output(output, "label").batchSize(64)
        .inference(new InferenceSettings(engine, 1));
  }

  private EncodeJob.Options options(String input, String model, String output) {
    return options(input, model, output, "onnxruntime");
  }

  @ParameterizedTest
  @ValueSource(strings = {"onnxruntime", "nd4j"})
  void encodesEveryRowToTheLayersMeanAndTheLogVarianceHead(String engine) throws Exception {
    String model = dir.resolve("model").toString();
    MultiLayerNetwork net = TestModels.write(model, 784, 500);
    String input = input(7);
    String output = dir.resolve("out").toString();

    EncodeJob.Result result = new EncodeJob(TestSpark.session(), options(input, model, output, engine)).run();

    assertThat(result.rows()).isEqualTo(500);
    assertThat(result.latentSize()).isEqualTo(8);
    assertThat(dir.resolve("out/_SUCCESS")).exists();
    List<Row> encoded = TestSpark.session().read().parquet(output).orderBy("id").collectAsList();
    List<Row> rows = TestSpark.session().read().parquet(input).orderBy("id").collectAsList();
    assertThat(encoded).extracting(r -> r.getLong(0)).as("every id once, none lost")
        .containsExactlyElementsOf(rows.stream().map(r -> r.getLong(r.fieldIndex("id"))).toList());
    assertThat(TestSpark.session().read().parquet(output).columns())
        .containsExactly("id", "z_mean", "z_log_var", "label");

    float[][] features = new float[rows.size()][];
    for (int i = 0; i < features.length; i++) {
      List<Float> values = rows.get(i).getList(rows.get(i).fieldIndex("features"));
      features[i] = new float[values.size()];
      for (int p = 0; p < features[i].length; p++) {
        features[i][p] = values.get(p);
      }
    }
    INDArray x = Nd4j.create(features);
    INDArray expectedMean = net.output(x);
    INDArray expectedLogVar = logVarianceFromParameters(net, x);
    for (int i = 0; i < rows.size(); i++) {
      Row row = encoded.get(i);
      assertThat(row.getInt(3)).isEqualTo(rows.get(i).getInt(rows.get(i).fieldIndex("label")));
      assertThat(toArray(row.getList(1)).equalsWithEps(expectedMean.getRow(i), 1e-5))
          .as("z_mean of id %d equals DL4J's output", row.getLong(0)).isTrue();
      assertThat(toArray(row.getList(2)).equalsWithEps(expectedLogVar.getRow(i), 1e-5))
          .as("z_log_var of id %d equals the parameters' log-variance head", row.getLong(0)).isTrue();
    }
  }

  /** The encoder and the pZXLogStd2 head computed directly from the parameter table. */
  private static INDArray logVarianceFromParameters(MultiLayerNetwork net, INDArray x) {
    Map<String, INDArray> params = new HashMap<>(net.getLayer(0).paramTable());
    INDArray h = Activation.RELU.getActivationFunction().getActivation(
        x.mmul(params.get("e0W")).addiRowVector(params.get("e0b")), false);
    return h.mmul(params.get("pZXLogStd2W")).addiRowVector(params.get("pZXLogStd2b"));
  }

  private static INDArray toArray(List<Float> values) {
    float[] array = new float[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i);
    }
    return Nd4j.create(array).castTo(DataType.FLOAT);
  }

  @ParameterizedTest
  @ValueSource(strings = {"nan", "null element", "short", "outside support"})
  void aBadRowFailsTheJobNamingItsFileIdColumnAndRuleAndWritesNothing(String badness) throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 500);
    String input = input(3);
    float[] values = new float[784];
    values[3] = 0.5f;
    Float[] boxed = new Float[784];
    for (int i = 0; i < boxed.length; i++) {
      boxed[i] = values[i];
    }
    String problem = switch (badness) {
      case "nan" -> {
        boxed[7] = Float.NaN;
        yield "value NaN at index 7 is not a finite number";
      }
      case "null element" -> {
        boxed[9] = null;
        yield "value null at index 9";
      }
      case "short" -> {
        boxed = java.util.Arrays.copyOf(boxed, 780);
        yield "has 780 features, expected 784";
      }
      default -> {
        boxed[5] = 1.5f;
        yield "value 1.5 at index 5 is outside [0, 1], the support of the Bernoulli distribution";
      }
    };
    TestSpark.session().createDataFrame(List.of(org.apache.spark.sql.RowFactory.create(9999L, 1, boxed)),
            TestSpark.session().read().parquet(input).schema())
        .write().mode("append").parquet(input);
    String file = TestSpark.session().read().parquet(input).where("id = 9999")
        .select(org.apache.spark.sql.functions.input_file_name()).first().getString(0);
    String output = dir.resolve("out").toString();

    assertThatThrownBy(() -> new EncodeJob(TestSpark.session(), options(input, model, output)).run())
        .satisfies(e -> assertThat(Failures.reason(e))
            .isEqualTo("Bad row in " + file + ": id=9999, column features: " + problem));
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void aSchemaMismatchFailsBeforeAnyWorkAndWritesNothing() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 100, 500);
    String output = dir.resolve("out").toString();
    String input = TestSpark.SAMPLE.resolve("test").toString();
    assertThatThrownBy(() -> new EncodeJob(TestSpark.session(), options(input, model, output)).run())
        .hasMessage("Cannot score " + input + " with the model in " + model + ": the input has features: array of "
            + "784 numbers, the model expects features: array of 100 numbers");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void aMissingModelOrAnExistingOutputIsRefused() throws Exception {
    String model = dir.resolve("none").toString();
    String output = dir.resolve("out").toString();
    String input = TestSpark.SAMPLE.resolve("test").toString();
    assertThatThrownBy(() -> new EncodeJob(TestSpark.session(), options(input, model, output)).run())
        .hasMessage("Cannot load model from " + model + ": the directory does not exist");
    assertThat(dir.resolve("out")).doesNotExist();

    String existing = dir.resolve("existing").toString();
    java.nio.file.Files.createDirectories(dir.resolve("existing"));
    assertThatThrownBy(() -> new EncodeJob(TestSpark.session(), options(input, model, existing)).run())
        .hasMessage("Cannot write " + existing + ": it already exists (pass --overwrite to replace it)");
  }
}
