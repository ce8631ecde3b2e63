package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import dev.sparkvae.training.RoundTimings;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class TrainJobTest {
  @TempDir Path dir;

  private TrainJob.Result train(Settings settings, String test, String model) throws Exception {
    return new TrainJob(TestSpark.session(), settings, new TrainJob.Options()
        .input(TestSpark.SAMPLE.resolve("train").toString()).test(test).model(model)).run();
  }

  @Test
  void trainingOnTheSampleLowersTheNegativeElboAndChangesEveryParameter() throws Exception {
    Settings settings = TestSpark.smallRecipe("train.epochs=3");
    String model = dir.resolve("model").toString();
    TrainJob.Result result = train(settings, TestSpark.SAMPLE.resolve("test").toString(), model);

    assertThat(result.trainExamples()).isEqualTo(2000);
    assertThat(result.testExamples()).isEqualTo(500);
    assertThat(result.rounds()).extracting(RoundTimings::examples).as("rows the workers fitted in each epoch")
        .containsExactly(2000L, 2000L, 2000L);
    List<EpochMetrics> metrics = result.metrics();
    assertThat(metrics).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(metrics).allSatisfy(m -> {
      assertThat(m.examples()).isEqualTo(2000);
      assertThat(m.seconds()).isPositive();
    });
    MultiLayerNetwork initial = VaeNetworks.create(VaeSpec.from(settings), TrainSettings.from(settings), 784);
    INDArray trainRows = features("train");
    INDArray testRows = features("test");
    // The first epoch's training -ELBO is the mean over its rounds, from the untrained network on: 27 nats lower.
    assertThat(metrics.get(0).trainNegElbo()).as("the first epoch's training -ELBO, 10 nats below the untrained's")
        .isLessThan(meanNegativeElbo(initial, trainRows) - 10);
    assertThat(metrics).extracting(EpochMetrics::trainNegElbo).as("train -ELBO falls every epoch")
        .isSortedAccordingTo(Comparator.reverseOrder()).doesNotHaveDuplicates();
    assertThat(metrics.get(2).testNegElbo()).as("held-out -ELBO falls").isLessThan(metrics.get(0).testNegElbo());
    // An untrained network scores about 549 nats here, independent pixels with the training means about 387.
    assertThat(metrics.get(2).testNegElbo()).as("better than independent pixels with the training rows' means")
        .isLessThan(independentPixelsNegativeLogLikelihood(trainRows, testRows));

    MultiLayerNetwork trained = result.artifact().network();
    assertThat(trained.getLearningRate(0)).as("2 workers train at the one-worker rate 0.001 times the root of 2")
        .isCloseTo(0.001 * Math.sqrt(2), within(1e-12));
    for (Map.Entry<String, INDArray> param : trained.paramTable().entrySet()) {
      INDArray before = initial.paramTable().get(param.getKey());
      long unchanged = param.getValue().eq(before).castTo(org.nd4j.linalg.api.buffer.DataType.INT32).sumNumber()
          .longValue();
      assertThat(unchanged).as("unchanged values in %s", param.getKey()).isLessThan(before.length() / 20 + 1);
    }

    ModelArtifact reloaded = ModelArtifact.load(model, new Configuration());
    // A one-sample estimate over 500 rows: its standard deviation from the noise is about 0.6 nats.
    assertThat(metrics.get(2).testNegElbo()).as("the held-out -ELBO reported is the saved model's on the test rows")
        .isCloseTo(meanNegativeElbo(reloaded.network(), testRows), within(3.0));
    assertThat(reloaded.network().output(testRows)).as("reloaded model gives identical outputs")
        .isEqualTo(trained.output(testRows));
    assertThat(reloaded.metrics()).isEqualTo(metrics);
    JsonNode json = JsonFiles.MAPPER.readTree(dir.resolve("model/model.json").toFile());
    assertThat(json.at("/feature_schema/feature_count").asInt()).isEqualTo(784);
    assertThat(json.at("/feature_schema/features_column").asText()).isEqualTo("features");
    assertThat(json.at("/vae/latent_size").asInt()).isEqualTo(8);
    assertThat(json.at("/config/train/epochs").asInt()).isEqualTo(3);
    assertThat(json.at("/versions/deeplearning4j").asText()).as("the DL4J that trained it")
        .isEqualTo(LoadedLibraries.version(MultiLayerNetwork.class));
    assertThat(json.at("/model_sha256").asText()).hasSize(64);
    assertThat(json.at("/training_examples").asLong()).isEqualTo(2000);
  }

  @Test
  void sameSeedDataAndWorkersGiveTheSameModel() throws Exception {
    Settings settings = TestSpark.smallRecipe("train.epochs=1");
    String test = TestSpark.SAMPLE.resolve("test").toString();
    INDArray first = train(settings, test, dir.resolve("a").toString()).artifact().network().params();
    INDArray second = train(settings, test, dir.resolve("b").toString()).artifact().network().params();
    INDArray otherSeed = train(TestSpark.smallRecipe("train.epochs=1", "train.seed=7"), test,
        dir.resolve("c").toString()).artifact().network().params();
    assertThat(second).as("same seed, same model").isEqualTo(first);
    assertThat(otherSeed.equalsWithEps(first, 1e-3)).as("another seed, another model").isFalse();
  }

  /** 2 workers of 1,000 rows in minibatches of 50: one round an epoch at averaging every 20, ten at every 2. */
  @Test
  void epochsOfFewRoundsTakeThePlainAverageAndOthersTheOuterStep() throws Exception {
    String test = TestSpark.SAMPLE.resolve("test").toString();
    for (String frequency : List.of("20", "2")) {
      Settings defaults = TestSpark.smallRecipe("train.epochs=1", "train.averaging-frequency=" + frequency);
      Settings plainAverage = TestSpark.smallRecipe("train.epochs=1", "train.averaging-frequency=" + frequency,
          "train.outer-momentum=0", "train.outer-learning-rate=1");
      INDArray byDefault = train(defaults, test, dir.resolve("d" + frequency).toString()).artifact().network()
          .params();
      INDArray byPlainAverage = train(plainAverage, test, dir.resolve("p" + frequency).toString()).artifact()
          .network().params();
      assertThat(byDefault.equals(byPlainAverage)).as("the defaults take the plain average at every %s",
          frequency).isEqualTo(frequency.equals("20"));
    }
  }

  @Test
  void withoutTestDataAFractionIsHeldOutById() throws Exception {
    Settings settings = TestSpark.smallRecipe("train.epochs=1", "train.validation-fraction=0.2");
    TrainJob.Result result = train(settings, null, dir.resolve("model").toString());
    assertThat(result.trainExamples() + result.testExamples()).as("every row used once").isEqualTo(2000);
    assertThat(result.testExamples()).as("about 20%% held out").isBetween(330L, 470L);
    assertThat(result.rounds().get(0).examples()).as("the workers fitted the training rows only")
        .isEqualTo(result.trainExamples());
    // The held-out rows are a random fifth of the input: the untrained network scores them as it scores all rows,
    // within a nat or two; one epoch takes its -ELBO about 50 nats lower.
    MultiLayerNetwork initial = VaeNetworks.create(VaeSpec.from(settings), TrainSettings.from(settings), 784);
    assertThat(result.metrics().get(0).testNegElbo()).as("held-out -ELBO, 20 nats below the untrained network's")
        .isLessThan(meanNegativeElbo(initial, features("train")) - 20);
  }

  @Test
  void oneWorkerFitsEveryRowOnceWithAPartialMinibatchInsideARound() throws Exception {
    String input = dir.resolve("input").toString();
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("train").toString()).repartition(3).write()
        .parquet(input);
    Settings settings = TestSpark.smallRecipe("train.epochs=1", "train.workers=1", "train.batch-size-per-worker=64",
        "train.averaging-frequency=3");
    TrainJob.Result result = new TrainJob(TestSpark.session(), settings, new TrainJob.Options().input(input)
        .test(TestSpark.SAMPLE.resolve("test").toString()).model(dir.resolve("model").toString())).run();

    // 2000 rows: 31 minibatches of 64 and one of 16, dealt round robin into 32 / 3 = 10 rounds; the partial one is
    // the fourth minibatch of the second round.
    long minibatches = (2000 + 63) / 64;
    RoundTimings epoch = result.rounds().get(0);
    assertThat(epoch.examples()).as("rows fitted").isEqualTo(2000);
    assertThat(epoch.minibatches()).as("minibatches fitted").isEqualTo(minibatches);
    assertThat(epoch.rounds()).as("averaging rounds").isEqualTo(minibatches / 3);
    MultiLayerNetwork initial = VaeNetworks.create(VaeSpec.from(settings), TrainSettings.from(settings), 784);
    assertThat(result.metrics().get(0).testNegElbo()).as("held-out -ELBO, 20 nats below the untrained network's")
        .isLessThan(meanNegativeElbo(initial, features("test")) - 20);
  }

  @Test
  void theThresholdFlagsTheFalsePositiveRateOfTheHeldOutRowsExactly() throws Exception {
    String model = dir.resolve("model").toString();
    String test = TestSpark.SAMPLE.resolve("test").toString();
    TrainJob.Result result = train(TestSpark.smallRecipe("train.epochs=1", "anomaly.false-positive-rate=0.03"), test,
        model);
    ModelInfo info = result.artifact().info();
    assertThat(info.anomalyScore()).isEqualTo("anomaly_score");
    assertThat(info.anomalyThresholdRows()).isEqualTo(500);
    assertThat(info.anomalyQuantile()).isCloseTo(0.97, within(1e-12));

    String output = dir.resolve("scores").toString();
    new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(test).model(model).output(output)
        .samples(1).batchSize(256).inference(new InferenceSettings("nd4j", 1))).run();
    List<Float> scores = TestSpark.session().read().parquet(output).select("anomaly_score").as(Encoders.FLOAT())
        .collectAsList().stream().sorted().toList();
    // The ceil(0.97 * 500) = 485th smallest of the 500 scores: 15 rows (3%) above it.
    assertThat(info.anomalyThreshold()).as("the exact quantile")
        .isCloseTo(scores.get(484), within(1e-5 * Math.abs(scores.get(484))));
    long flagged = TestSpark.session().read().parquet(output).where("is_anomaly").count();
    assertThat(flagged).as("the held-out rows flagged: the false-positive rate").isEqualTo(15);
  }

  @Test
  void refusesAnExistingModelBeforeAnyWork() throws Exception {
    String model = dir.resolve("model").toString();
    java.nio.file.Files.createDirectories(dir.resolve("model"));
    assertThatThrownBy(() -> train(TestSpark.smallRecipe(), null, model))
        .hasMessage("Cannot write " + model + ": it already exists (pass --overwrite to replace it)");
  }

  @Test
  void theSameNetworkGivesTheSameHeldOutScoreTwice() throws Exception {
    TrainJob.Result result = train(TestSpark.smallRecipe("train.epochs=1"), TestSpark.SAMPLE.resolve("test")
        .toString(), dir.resolve("model").toString());
    TrainJob.Result again = train(TestSpark.smallRecipe("train.epochs=1"), TestSpark.SAMPLE.resolve("test")
        .toString(), dir.resolve("model2").toString());
    assertThat(again.metrics().get(0).testNegElbo()).isCloseTo(result.metrics().get(0).testNegElbo(), within(0.0));
  }

  /** The features of a split of the sample, one row each. */
  private static INDArray features(String split) {
    List<Row> rows = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve(split).toString())
        .select("features").collectAsList();
    float[][] values = new float[rows.size()][];
    for (int r = 0; r < values.length; r++) {
      List<Float> row = rows.get(r).getList(0);
      values[r] = new float[row.size()];
      for (int f = 0; f < values[r].length; f++) {
        values[r][f] = row.get(f);
      }
    }
    return Nd4j.create(values);
  }

  /** The mean one-sample negative ELBO of {@code rows} under {@code net}, as scoring computes it. */
  private static double meanNegativeElbo(MultiLayerNetwork net, INDArray rows) {
    long[] ids = LongStream.range(0, rows.rows()).toArray();
    float[] values = new Nd4jScorer(VaeMaths.of(net), 1, false, 1).score(rows, ids).negativeElbo();
    double sum = 0;
    for (float value : values) {
      sum += value;
    }
    return sum / values.length;
  }

  /**
   * The mean −log-likelihood of {@code rows} under independent Bernoulli pixels whose means are those of
   * {@code train}: −Σ_j x_j log p_j + (1 − x_j) log(1 − p_j), p_j kept within [1e-6, 1 − 1e-6].
   */
  private static double independentPixelsNegativeLogLikelihood(INDArray train, INDArray rows) {
    double[] p = train.mean(0).toDoubleVector();
    double[][] x = rows.toDoubleMatrix();
    double sum = 0;
    for (double[] row : x) {
      for (int j = 0; j < p.length; j++) {
        double pj = Math.min(Math.max(p[j], 1e-6), 1 - 1e-6);
        sum -= row[j] * Math.log(pj) + (1 - row[j]) * Math.log(1 - pj);
      }
    }
    return sum / x.length;
  }
}
