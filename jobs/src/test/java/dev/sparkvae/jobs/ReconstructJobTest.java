package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.inference.InferenceEngines;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReconstructJobTest {
  @TempDir Path dir;

  private String input() {
    String path = dir.resolve("input").toString();
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString()).repartition(4)
        .write().parquet(path);
    return path;
  }

  /** A seeded, untrained model of 784 features with threshold 540; its directory. */
  private String model() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    return model;
  }

  private ReconstructJob.Options options(String input, String model, String output, Double threshold) {
    return new ReconstructJob.Options().input(input).model(model).output(output, "label").samples(8)
        .withReconstruction(true).threshold(threshold).batchSize(64);
  }

  private static Map<Long, Float> logProbById(List<Row> rows) {
    Map<Long, Float> byId = new HashMap<>();
    rows.forEach(r -> byId.put(r.getLong(r.fieldIndex("id")), r.getFloat(r.fieldIndex("log_prob"))));
    return byId;
  }

  @Test
  void scoresEveryRowAndFlagsAnomaliesAgainstTheModelsThreshold() throws Exception {
    String model = model();
    String input = input();
    String output = dir.resolve("out").toString();

    ReconstructJob.Result result = new ReconstructJob(TestSpark.session(), options(input, model, output, null)).run();

    assertThat(result.rows()).isEqualTo(500);
    assertThat(result.threshold()).as("the threshold recorded in model.json").isEqualTo(540.0);
    Dataset<Row> scored = TestSpark.session().read().parquet(output);
    assertThat(scored.columns()).containsExactly("id", "reconstruction_error", "anomaly_score", "log_prob",
        "reconstruction", "is_anomaly", "label");
    List<Row> rows = scored.collectAsList();
    assertThat(rows.stream().map(r -> r.getLong(0)).distinct().count()).as("ids unique").isEqualTo(500);
    List<Float> errors = new java.util.ArrayList<>();
    for (Row row : rows) {
      float error = row.getFloat(1);
      float logProb = row.getFloat(3);
      assertThat(error).isPositive().isFinite();
      assertThat(row.getFloat(2)).as("the deviance: the error less the rows' entropy").isPositive()
          .isLessThan(error);
      assertThat(logProb).isNegative().isFinite();
      List<Float> reconstruction = row.getList(4);
      assertThat(reconstruction).hasSize(784).allSatisfy(p -> assertThat(p).isBetween(0f, 1f));
      // A model that records no threshold score: its threshold is over the reconstruction error.
      assertThat(row.getBoolean(5)).as("is_anomaly of id %d", row.getLong(0)).isEqualTo(error > 540.0);
      errors.add(error);
    }

    double median = errors.stream().sorted().toList().get(250);
    String split = dir.resolve("split").toString();
    ReconstructJob.Result overridden = new ReconstructJob(TestSpark.session(), options(input, model, split, median))
        .run();
    assertThat(overridden.threshold()).isEqualTo(median);
    List<Row> flagged = TestSpark.session().read().parquet(split).collectAsList();
    assertThat(flagged).allSatisfy(r -> assertThat(r.getBoolean(5)).isEqualTo(r.getFloat(1) > median));
    assertThat(flagged.stream().filter(r -> r.getBoolean(5)).count()).as("half above the median").isBetween(240L,
        250L);
  }

  @Test
  void theNd4jAndOnnxRuntimeEnginesWriteTheSameScores() throws Exception {
    String model = model();
    String input = input();
    Map<Long, Row> byEngine = new HashMap<>();
    for (String engine : InferenceEngines.NAMES) {
      String output = dir.resolve(engine).toString();
      new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(input).model(model).output(output)
          .samples(8).batchSize(64).inference(new InferenceSettings(engine, 2))).run();
      for (Row row : TestSpark.session().read().parquet(output).collectAsList()) {
        Row other = byEngine.put(row.getLong(0), row);
        if (other != null) {
          for (int field = 1; field <= 3; field++) {
            assertThat(row.getFloat(field)).as("%s of id %d", row.schema().fieldNames()[field], row.getLong(0))
                .isCloseTo(other.getFloat(field), within(1e-5f * Math.abs(other.getFloat(field))));
          }
        }
      }
    }
    assertThat(byEngine).hasSize(500);
  }

  /** The reconstruct output of {@code input} by {@code engine} with the reconstruction and K attributed features. */
  private Map<Long, Row> attributed(String input, String model, String engine, int k) throws Exception {
    String output = dir.resolve(engine + "-" + k).toString();
    new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(input).model(model).output(output)
        .samples(1).batchSize(64).withReconstruction(true).withAttribution(k)
        .inference(new InferenceSettings(engine, 1))).run();
    Map<Long, Row> byId = new HashMap<>();
    TestSpark.session().read().parquet(output).collectAsList().forEach(r -> byId.put(r.getLong(0), r));
    return byId;
  }

  /**
   * Bernoulli: every feature's contribution is its deviance x log(x/p) + (1 − x) log((1 − x)/(1 − p)) from its value
   * x (the input's) and expected value p (the reconstruction), and they add up to the anomaly score; K = 5 lists
   * the 5 largest, sorted; the engines write the same attribution.
   */
  @Test
  void attributionSplitsTheAnomalyScoreIntoEachFeaturesDeviance() throws Exception {
    String model = model();
    String input = input();
    Map<Long, float[]> pixels = new HashMap<>();
    TestSpark.session().read().parquet(input).collectAsList()
        .forEach(r -> pixels.put(r.getLong(r.fieldIndex("id")), AttributionChecks.floats(r, "features")));
    Map<Long, Row> reference = attributed(input, model, InferenceEngines.ND4J, 784);
    for (int k : new int[] {784, 5}) {
      Map<Long, Row> scored = attributed(input, model, InferenceEngines.ONNXRUNTIME, k);
      assertThat(scored).hasSize(500);
      for (Map.Entry<Long, Row> entry : (k == 784 ? reference : scored).entrySet()) {
        Row row = entry.getValue();
        float[] x = pixels.get(entry.getKey());
        float[] p = AttributionChecks.floats(row, "reconstruction");
        AttributionChecks.check(row, x, p, List.of(), k, f -> AttributionChecks.bernoulli(x[f], p[f]),
            f -> AttributionChecks.bernoulliTolerance(x[f], p[f], AttributionChecks.bernoulli(x[f], p[f])));
      }
      for (Map.Entry<Long, Row> entry : scored.entrySet()) {
        Map<Integer, Row> nd4j = new HashMap<>();
        AttributionChecks.attribution(reference.get(entry.getKey())).forEach(f -> nd4j.put(f.getInt(1), f));
        for (Row onnx : AttributionChecks.attribution(entry.getValue())) {
          for (int field = 2; field <= 4; field++) {
            float expected = nd4j.get(onnx.getInt(1)).getFloat(field);
            assertThat(onnx.getFloat(field)).as("field %d of feature %d of id %d", field, onnx.getInt(1),
                entry.getKey()).isCloseTo(expected, within(1e-5f * Math.max(1, Math.abs(expected))));
          }
        }
      }
    }
  }

  @Test
  void refusesToAttributeMoreFeaturesThanTheModelHasOrFewerThanNone() throws Exception {
    String model = model();
    String input = TestSpark.SAMPLE.resolve("test").toString();
    for (int k : new int[] {-1, 785}) {
      String output = dir.resolve("out" + k).toString();
      assertThatThrownBy(() -> new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(input)
          .model(model).output(output).withAttribution(k)).run())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("Cannot use --with-attribution " + k + ": the value must be from 0 (none) to the model's "
              + "feature count, 784");
      assertThat(dir.resolve("out" + k)).as("nothing written").doesNotExist();
    }
  }

  @Test
  void logProbIsIdenticalAcrossRunsAndAcrossARetriedTask() throws Exception {
    String model = model();
    String input = input();
    new ReconstructJob(TestSpark.session(), options(input, model, dir.resolve("a").toString(), null)).run();
    new ReconstructJob(TestSpark.session(), options(input, model, dir.resolve("b").toString(), null)).run();
    Map<Long, Float> first = logProbById(TestSpark.session().read().parquet(dir.resolve("a").toString())
        .collectAsList());
    Map<Long, Float> second = logProbById(TestSpark.session().read().parquet(dir.resolve("b").toString())
        .collectAsList());
    assertThat(second).as("a re-run writes the same values").isEqualTo(first);

    ScoringRun scoring = ScoringRun.open(TestSpark.session(), "reconstruct",
        new ReconstructJob.Options().input(input).model(model), List.of());
    Dataset<Row> frame = scoring.frame();
    MapPartitionsFunction<Row, Row> failFirstAttempt = rows -> {
      TaskContext task = TaskContext.get();
      if (task.attemptNumber() == 0 && task.partitionId() < 2) {
        throw new IllegalStateException("injected failure of the first attempt of partition " + task.partitionId());
      }
      return rows;
    };
    Dataset<Row> flaky = frame.mapPartitions(failFirstAttempt, Encoders.row(frame.schema()));
    List<Row> retried = scoring.model().setOutputCols("log_prob").setSamples(8).setBatchSize(64)
        .transform(flaky).select("id", "log_prob").collectAsList();
    assertThat(retried).hasSize(500);
    assertThat(logProbById(retried)).as("a retried task writes the same values").isEqualTo(first);
  }
}
