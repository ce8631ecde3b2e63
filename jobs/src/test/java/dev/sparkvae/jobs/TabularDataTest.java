package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.FeatureScaling;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.training.TrainingDivergedException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntToDoubleFunction;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Real tabular data in raw units: the committed breast-cancer sample (30 measurements from about 0 to 4,250) with a
 * Gaussian model, read as CSV columns, as a Parquet array&lt;double&gt; and as a Spark ML vector, with string ids.
 */
class TabularDataTest {
  static final Path DATA = Paths.get("..", "data", "breast-cancer").toAbsolutePath().normalize();
  static final String TRAIN = DATA.resolve("train").toString();
  static final String TEST = DATA.resolve("test").toString();

  @TempDir Path dir;

  /** The 30 measurement columns, as the CSV header names them. */
  static List<String> featureColumns() throws Exception {
    String header = Files.readAllLines(DATA.resolve("train/benign.csv")).get(0);
    List<String> names = Arrays.asList(header.split(","));
    assertThat(names.subList(0, 2)).containsExactly("id", "label");
    return names.subList(2, names.size());
  }

  /** The CSV layout of the sample, a Gaussian model and {@code more}; every other setting is the default. */
  private static List<String> csvRecipe(String... more) throws Exception {
    List<String> settings = new ArrayList<>(List.of("data.format=csv", "data.feature-columns=["
        + String.join(",", featureColumns()) + "]", "vae.distribution=gaussian", "plot.enabled=false"));
    settings.addAll(List.of(more));
    return settings;
  }

  private TrainJob.Result train(List<String> settings, String input, String test, String model) throws Exception {
    return new TrainJob(TestSpark.session(), TestSpark.settings(settings.toArray(new String[0])),
        new TrainJob.Options().input(input).test(test).model(model)).run();
  }

  /** A small Gaussian model (2 epochs) of the training rows, read as CSV columns, without --test; its directory. */
  private String smallModel() throws Exception {
    String model = dir.resolve("model").toString();
    train(csvRecipe("vae.encoder-sizes=[32]", "vae.decoder-sizes=[32]", "vae.latent-size=4", "train.epochs=2"),
        TRAIN, null, model);
    return model;
  }

  @Test
  void trainsOnRawUnitsWithDefaultSettingsAndRecordsTheTrainingRowsStatistics() throws Exception {
    String model = dir.resolve("model").toString();
    TrainJob.Result result = train(csvRecipe(), TRAIN, TEST, model);

    List<EpochMetrics> metrics = result.metrics();
    assertThat(metrics).hasSize(5).allSatisfy(m -> assertThat(m.testNegElbo()).isFinite());
    assertThat(metrics.get(4).testNegElbo()).as("held-out -ELBO falls")
        .isLessThan(metrics.get(0).testNegElbo() - 1);
    FeatureScaling scaling = result.artifact().info().scaling();
    assertThat(scaling.method()).as("auto standardizes a Gaussian model").isEqualTo("standardize");
    List<String> columns = featureColumns();
    List<Column> stats = new ArrayList<>();
    columns.forEach(c -> stats.add(avg(c)));
    columns.forEach(c -> stats.add(stddev_pop(c)));
    Row expected = TestSpark.session().read().option("header", "true").option("inferSchema", "true").csv(TRAIN)
        .select(stats.toArray(new Column[0])).first();
    for (int i = 0; i < columns.size(); i++) {
      double mean = expected.getDouble(i);
      double std = expected.getDouble(columns.size() + i);
      // The model sees the CSV numbers as floats: their statistics differ from the doubles' in the 7th digit.
      assertThat(scaling.shift()[i]).as("mean of %s", columns.get(i)).isCloseTo(mean, within(1e-6 * Math.abs(mean)));
      assertThat(scaling.scale()[i]).as("std of %s", columns.get(i)).isCloseTo(std, within(1e-5 * std));
    }
  }

  @Test
  void theRecipeTrainedOnBenignTumoursScoresMalignantOnesAsAnomalies() throws Exception {
    String model = dir.resolve("model").toString();
    new TrainJob(TestSpark.session(), Settings.load(null, Paths.get("..", "conf", "jobs", "breast-cancer.conf")
        .toFile(), List.of()), new TrainJob.Options().input(TRAIN).model(model)).run();
    String output = dir.resolve("scores").toString();
    new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(TEST).model(model)
        .output(output, "label").samples(16).batchSize(256).format("csv")).run();
    List<Row> scores = TestSpark.session().read().parquet(output).collectAsList();
    double auroc = auroc(scores, "anomaly_score");
    System.out.printf("breast-cancer AUROC: anomaly_score %.4f, -log_prob %.4f, reconstruction_error %.4f%n", auroc,
        auroc(scores, "log_prob"), auroc(scores, "reconstruction_error"));
    assertThat(auroc).as("AUROC of anomaly_score, malignant vs benign").isGreaterThan(0.95);
  }

  @Test
  void evaluateReportsTheFalsePositiveAndDetectionRatesOfTheFlags() throws Exception {
    String model = smallModel();
    String output = dir.resolve("scores").toString();
    new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(TEST).model(model)
        .output(output, "label").samples(16).batchSize(256).format("csv")).run();
    List<Row> scores = TestSpark.session().read().parquet(output).collectAsList();
    long benign = scores.stream().filter(r -> r.getInt(r.fieldIndex("label")) == 0).count();
    long falseAlarms = scores.stream().filter(r -> r.getInt(r.fieldIndex("label")) == 0
        && r.getBoolean(r.fieldIndex("is_anomaly"))).count();
    long detected = scores.stream().filter(r -> r.getInt(r.fieldIndex("label")) == 1
        && r.getBoolean(r.fieldIndex("is_anomaly"))).count();

    ObjectNode summary = new EvaluateJob(TestSpark.session(), new EvaluateJob.Options()
        .settings(TestSpark.settings("plot.enabled=false")).input(TEST).model(model).samples(16).batchSize(256)
        .format("csv").normalLabels(List.of(0))).run().toJson();

    assertThat(summary.get("normal_rows").asLong()).isEqualTo(benign).isEqualTo(57);
    assertThat(summary.get("anomalous_rows").asLong()).isEqualTo(212);
    assertThat(summary.get("false_positive_rate").asDouble()).isEqualTo(falseAlarms / 57.0);
    assertThat(summary.get("detection_rate").asDouble()).isEqualTo(detected / 212.0);
    assertThat(summary.get("rows_flagged").asLong()).isEqualTo(falseAlarms + detected);
    assertThat(summary.get("anomaly_score_auroc").asDouble()).as("the AUROC of the reconstruct job's scores")
        .isCloseTo(auroc(scores, "anomaly_score"), within(1e-9));
  }

  /**
   * Gaussian, with named CSV columns: each feature's contribution is ½ (x − μ)² / σ² from its value x (the CSV
   * field), its expected value μ and the σ² of p(x|z) at the latent mean, both decoded here with the model's own
   * layers (in raw units: the scaling is folded in); all of them add up to the anomaly score and carry the column
   * names; K = 4 lists the 4 largest.
   */
  @Test
  void attributionNamesTheColumnsAndSplitsTheGaussianScoreIntoEachFeaturesTerm() throws Exception {
    String model = smallModel();
    List<String> names = featureColumns();
    int features = names.size();
    Map<String, float[]> rows = new HashMap<>();
    for (String line : Files.readAllLines(DATA.resolve("test/all.csv")).subList(1, 270)) {
      String[] fields = line.split(",");
      float[] x = new float[features];
      for (int f = 0; f < features; f++) {
        x[f] = Float.parseFloat(fields[2 + f]);
      }
      rows.put(fields[0], x);
    }
    VaeMaths vae = VaeMaths.load(model);
    for (int k : new int[] {features, 4}) {
      String output = dir.resolve("scores-" + k).toString();
      new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(TEST).model(model).output(output)
          .samples(1).batchSize(64).format("csv").withAttribution(k)).run();
      List<Row> scored = TestSpark.session().read().parquet(output).collectAsList();
      assertThat(scored).hasSize(269);
      for (Row row : scored) {
        float[] x = rows.get(row.getString(row.fieldIndex("id")));
        INDArray mean = vae.encode(Nd4j.create(new float[][] {x}))[0];
        INDArray pre = vae.decodePreOutput(mean);
        float[] params = ((GaussianReconstructionDistribution) vae.distribution()).getActivationFn()
            .getActivation(pre, false).toFloatVector();
        float[] mu = Arrays.copyOf(params, features);
        double[] variance = new double[features];
        for (int f = 0; f < features; f++) {
          variance[f] = Math.exp(params[features + f]);
        }
        IntToDoubleFunction term = f -> 0.5 * (x[f] - mu[f]) * (x[f] - mu[f]) / variance[f];
        // The engine's μ and log σ² are float figures of another engine: a few ulps of μ move the term by its
        // slope |x − μ| / σ² times them, the rest by float rounding.
        IntToDoubleFunction tolerance = f -> Math.abs(x[f] - mu[f]) / variance[f] * 4e-6 * Math.abs(mu[f])
            + 1e-5 * term.applyAsDouble(f) + 1e-6;
        AttributionChecks.check(row, x, mu, names, k, term, tolerance);
      }
    }
  }

  /**
   * The area under the ROC curve of a score for label 1 (the chance that a random anomaly scores above a random
   * normal row, ties counted half): higher reconstruction errors and lower log-likelihoods mean anomalies.
   */
  private static double auroc(List<Row> rows, String score) {
    double sign = score.equals("log_prob") ? -1 : 1;
    double wins = 0;
    long pairs = 0;
    for (Row anomaly : rows) {
      if (anomaly.getInt(anomaly.fieldIndex("label")) != 1) {
        continue;
      }
      for (Row normal : rows) {
        if (normal.getInt(normal.fieldIndex("label")) == 0) {
          double a = sign * anomaly.getFloat(anomaly.fieldIndex(score));
          double n = sign * normal.getFloat(normal.fieldIndex(score));
          wins += a > n ? 1 : a == n ? 0.5 : 0;
          pairs++;
        }
      }
    }
    return wins / pairs;
  }

  @Test
  void unscaledRawUnitsDivergeWithAMessageThatNamesTheCause() throws Exception {
    assertThatThrownBy(() -> train(csvRecipe("data.scaling=none"), TRAIN, TEST, dir.resolve("m").toString()))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageContaining("the features are not scaled (data.scaling = none) and feature worst_area ranges "
            + "from 185.200 to 1210.00: set data.scaling = standardize")
        .hasMessageNotContaining("learning-rate");
  }

  @Test
  void csvColumnsAParquetArrayAndAVectorColumnGiveTheSameModelAndOutputs() throws Exception {
    List<String> columns = featureColumns();
    Dataset<Row> csv = TestSpark.session().read().option("header", "true").option("inferSchema", "true").csv(TRAIN);
    String arrays = dir.resolve("arrays").toString();
    csv.select(col("id"), col("label"), array(columns.stream().map(c -> col(c)).toArray(Column[]::new))
        .as("features")).coalesce(1).write().parquet(arrays);
    String vectors = dir.resolve("vectors").toString();
    new VectorAssembler().setInputCols(columns.toArray(new String[0])).setOutputCol("features").transform(csv)
        .select("id", "label", "features").coalesce(1).write().parquet(vectors);
    assertThat(TestSpark.session().read().parquet(arrays).schema().apply("features").dataType())
        .isEqualTo(DataTypes.createArrayType(DataTypes.DoubleType));
    String[] small = {"vae.encoder-sizes=[32]", "vae.decoder-sizes=[32]", "vae.latent-size=4", "train.epochs=2"};

    Map<String, float[]> params = new HashMap<>();
    Map<String, List<Row>> outputs = new HashMap<>();
    for (String input : List.of(TRAIN, arrays, vectors)) {
      List<String> settings = input.equals(TRAIN) ? csvRecipe(small)
          : new ArrayList<>(List.of("vae.distribution=gaussian", "plot.enabled=false"));
      settings.addAll(List.of(small));
      String model = dir.resolve("model-" + params.size()).toString();
      train(settings, input, null, model);
      params.put(input, ModelArtifact.load(model, new Configuration()).network().params().toFloatVector());
      String encoded = dir.resolve("encoded-" + outputs.size()).toString();
      new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(input).model(model).output(encoded)
          .batchSize(64).format(input.equals(TRAIN) ? "csv" : "parquet")).run();
      outputs.put(input, TestSpark.session().read().parquet(encoded).orderBy("id").collectAsList());
    }
    assertThat(params.get(arrays)).as("Parquet array<double> trains the CSV's model")
        .containsExactly(params.get(TRAIN));
    assertThat(params.get(vectors)).as("an ML Vector column trains the CSV's model").containsExactly(params.get(TRAIN));
    assertThat(outputs.get(TRAIN)).hasSize(300);
    assertThat(outputs.get(arrays)).isEqualTo(outputs.get(TRAIN));
    assertThat(outputs.get(vectors)).isEqualTo(outputs.get(TRAIN));
  }

  @Test
  void stringIdsComeOutUnchangedAndLogProbIsTheSameAcrossRunsAndRetriedTasks() throws Exception {
    String model = smallModel();
    List<Row> first = reconstruct(model, "first");
    List<Row> second = reconstruct(model, "second");

    List<String> inputIds = TestSpark.session().read().option("header", "true").csv(TEST).select("id")
        .as(Encoders.STRING()).collectAsList();
    assertThat(first).extracting(r -> r.getString(0)).as("string ids, unchanged")
        .containsExactlyInAnyOrderElementsOf(inputIds);
    assertThat(second).as("a second run").isEqualTo(first);
    assertThat(first).allSatisfy(r -> assertThat(r.getFloat(1)).isFinite());

    ScoringRun scoring = ScoringRun.open(TestSpark.session(), "reconstruct",
        new ReconstructJob.Options().input(TEST).model(model).format("csv"), List.of());
    Dataset<Row> frame = scoring.frame();
    MapPartitionsFunction<Row, Row> failFirstAttempt = rows -> {
      TaskContext task = TaskContext.get();
      if (task.attemptNumber() == 0) {
        throw new IllegalStateException("injected failure of the first attempt of partition " + task.partitionId());
      }
      return rows;
    };
    List<Row> retried = scoring.model().setOutputCols("log_prob").setSamples(16).setBatchSize(64)
        .transform(frame.mapPartitions(failFirstAttempt, Encoders.row(frame.schema())))
        .select("id", "log_prob").orderBy("id").collectAsList();
    assertThat(retried).as("a retried task").isEqualTo(first);
  }

  private List<Row> reconstruct(String model, String name) throws Exception {
    String output = dir.resolve(name).toString();
    new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(TEST).model(model).output(output)
        .samples(16).batchSize(64).format("csv")).run();
    return TestSpark.session().read().parquet(output).select("id", "log_prob").orderBy("id").collectAsList();
  }

  @Test
  void aResumedScaledModelEndsAsAnUninterruptedOne() throws Exception {
    String[] small = {"vae.encoder-sizes=[32]", "vae.decoder-sizes=[32]", "vae.latent-size=4"};
    String whole = dir.resolve("whole").toString();
    train(csvRecipe(withEpochs(small, 3)), TRAIN, TEST, whole);
    String interrupted = dir.resolve("interrupted").toString();
    train(csvRecipe(withEpochs(small, 2)), TRAIN, TEST, interrupted);
    // As if the driver died after the second epoch's checkpoint, before the model was written.
    CheckpointTest.deleteRecursively(Path.of(interrupted));
    TrainJob.Result resumed = new TrainJob(TestSpark.session(), TestSpark.settings(csvRecipe(withEpochs(small, 3))
        .toArray(new String[0])), new TrainJob.Options().input(TRAIN).test(TEST).model(interrupted).resume(true))
        .run();

    assertThat(resumed.resumedAfterEpoch()).isEqualTo(2);
    assertThat(ModelArtifact.load(interrupted, new Configuration()).network().params().toFloatVector())
        .as("the checkpoint holds the network of the scaled rows; the saved one takes raw rows, as the whole run's")
        .containsExactly(ModelArtifact.load(whole, new Configuration()).network().params().toFloatVector());
  }

  private static String[] withEpochs(String[] settings, int epochs) {
    String[] all = Arrays.copyOf(settings, settings.length + 1);
    all[settings.length] = "train.epochs=" + epochs;
    return all;
  }

  @Test
  void constantColumnsAreShiftedNotDividedByZero() throws Exception {
    String input = dir.resolve("with-constants").toString();
    TestSpark.session().read().option("header", "true").option("inferSchema", "true").csv(TRAIN)
        .withColumn("zero", lit(0.0)).withColumn("seven", lit(7.0)).coalesce(1).write().option("header", "true")
        .csv(input);
    List<String> settings = csvRecipe("vae.encoder-sizes=[32]", "vae.decoder-sizes=[32]", "vae.latent-size=4",
        "train.epochs=2", "data.feature-columns=[" + String.join(",", featureColumns()) + ",zero,seven]");
    String model = dir.resolve("model").toString();
    TrainJob.Result result = train(settings, input, null, model);

    FeatureScaling scaling = result.artifact().info().scaling();
    assertThat(Arrays.copyOfRange(scaling.shift(), 30, 32)).containsExactly(0.0, 7.0);
    assertThat(Arrays.copyOfRange(scaling.scale(), 30, 32)).containsExactly(1.0, 1.0);
    assertThat(result.metrics()).allSatisfy(m -> assertThat(m.testNegElbo()).isFinite());
    String output = dir.resolve("scores").toString();
    new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(input).model(model).output(output)
        .samples(4).withReconstruction(true).batchSize(64).format("csv")).run();
    List<Row> rows = TestSpark.session().read().parquet(output).collectAsList();
    assertThat(rows).hasSize(300).allSatisfy(r -> {
      List<Float> reconstruction = r.getList(r.fieldIndex("reconstruction"));
      assertThat(reconstruction.get(31)).as("the constant 7 reconstructed in raw units").isCloseTo(7f, within(0.5f));
      assertThat(r.getFloat(r.fieldIndex("log_prob"))).isFinite();
    });
  }

  @Test
  void theServedEncoderOnRawRowsGivesWhatBothEnginesWrite() throws Exception {
    String model = smallModel();
    List<String> columns = featureColumns();
    List<Row> raw = TestSpark.session().read().option("header", "true").option("inferSchema", "true").csv(TEST)
        .orderBy("id").collectAsList();
    float[] rows = new float[raw.size() * columns.size()];
    for (int r = 0; r < raw.size(); r++) {
      for (int f = 0; f < columns.size(); f++) {
        rows[r * columns.size() + f] = (float) ((Number) raw.get(r).get(raw.get(r).fieldIndex(columns.get(f))))
            .doubleValue();
      }
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    float[] zMean;
    float[] zLogVar;
    try (OrtSession encoder = env.createSession(dir.resolve("model/encoder.onnx").toString());
        OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(rows),
            new long[] {raw.size(), columns.size()});
        OrtSession.Result z = encoder.run(Map.of("x", input))) {
      zMean = floats(z, "z_mean");
      zLogVar = floats(z, "z_log_var");
    }
    for (String engine : List.of("onnxruntime", "nd4j")) {
      String output = dir.resolve("encoded-" + engine).toString();
      new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(TEST).model(model).output(output).batchSize(64)
          .format("csv").inference(new InferenceSettings(engine, 1))).run();
      List<Row> encoded = TestSpark.session().read().parquet(output).orderBy("id").collectAsList();
      assertThat(encoded.stream().map(r -> r.getString(0)).collect(Collectors.toList()))
          .isEqualTo(raw.stream().map(r -> r.getString(0)).collect(Collectors.toList()));
      for (int r = 0; r < encoded.size(); r++) {
        List<Float> mean = encoded.get(r).getList(1);
        List<Float> logVar = encoded.get(r).getList(2);
        for (int j = 0; j < 4; j++) {
          assertClose(engine + " z_mean", mean.get(j), zMean[r * 4 + j]);
          assertClose(engine + " z_log_var", logVar.get(j), zLogVar[r * 4 + j]);
        }
      }
    }
  }

  private static void assertClose(String what, float actual, float expected) {
    assertThat(actual).as(what).isCloseTo(expected, within(1e-5f * Math.max(1f, Math.abs(expected))));
  }

  private static float[] floats(OrtSession.Result result, String name) throws Exception {
    FloatBuffer buffer = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return values;
  }
}
