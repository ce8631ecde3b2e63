package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Encoders;
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
    List<EpochMetrics> metrics = result.metrics();
    assertThat(metrics).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(metrics).allSatisfy(m -> {
      assertThat(m.examples()).isEqualTo(2000);
      assertThat(m.seconds()).isPositive();
      assertThat(m.trainNegElbo()).isBetween(50.0, 600.0);
    });
    assertThat(metrics.get(2).testNegElbo()).as("held-out -ELBO falls").isLessThan(metrics.get(0).testNegElbo());
    assertThat(metrics.get(2).trainNegElbo()).as("train -ELBO falls").isLessThan(metrics.get(0).trainNegElbo());

    MultiLayerNetwork initial = VaeNetworks.create(VaeSpec.from(settings), TrainSettings.from(settings), 784);
    MultiLayerNetwork trained = result.artifact().network();
    for (Map.Entry<String, INDArray> param : trained.paramTable().entrySet()) {
      INDArray before = initial.paramTable().get(param.getKey());
      long unchanged = param.getValue().eq(before).castTo(org.nd4j.linalg.api.buffer.DataType.INT32).sumNumber()
          .longValue();
      assertThat(unchanged).as("unchanged values in %s", param.getKey()).isLessThan(before.length() / 20 + 1);
    }
    INDArray x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 64, 784);
    double initialElbo = VaeMaths.of(initial).negativeElbo(x).meanNumber().doubleValue();
    assertThat(metrics.get(2).testNegElbo()).as("better than the untrained network on real data")
        .isLessThan(initialElbo);

    ModelArtifact reloaded = ModelArtifact.load(model, new Configuration());
    assertThat(reloaded.network().output(x)).as("reloaded model gives identical outputs")
        .isEqualTo(trained.output(x));
    assertThat(reloaded.metrics()).isEqualTo(metrics);
    JsonNode json = JsonFiles.MAPPER.readTree(dir.resolve("model/model.json").toFile());
    assertThat(json.at("/feature_schema/feature_count").asInt()).isEqualTo(784);
    assertThat(json.at("/feature_schema/features_column").asText()).isEqualTo("features");
    assertThat(json.at("/vae/latent_size").asInt()).isEqualTo(8);
    assertThat(json.at("/config/train/epochs").asInt()).isEqualTo(3);
    assertThat(json.at("/versions/deeplearning4j").asText()).isEqualTo("1.0.0-M2.1");
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

  @Test
  void withoutTestDataAFractionIsHeldOutById() throws Exception {
    TrainJob.Result result = train(TestSpark.smallRecipe("train.epochs=1", "train.validation-fraction=0.2"), null,
        dir.resolve("model").toString());
    assertThat(result.trainExamples() + result.testExamples()).as("every row used once").isEqualTo(2000);
    assertThat(result.testExamples()).as("about 20%% held out").isBetween(330L, 470L);
    assertThat(result.metrics().get(0).testNegElbo()).isBetween(50.0, 600.0);
  }

  @Test
  void oneWorkerWithPartialMinibatchesInsideAveragingRoundsTrains() throws Exception {
    String input = dir.resolve("input").toString();
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("train").toString()).repartition(3).write()
        .parquet(input);
    TrainJob.Result result = new TrainJob(TestSpark.session(), TestSpark.smallRecipe("train.epochs=1",
        "train.workers=1", "train.batch-size-per-worker=64", "train.averaging-frequency=3"),
        new TrainJob.Options().input(input).test(TestSpark.SAMPLE.resolve("test").toString())
            .model(dir.resolve("model").toString())).run();
    assertThat(result.trainExamples()).as("3 partitions, each ending in a partial minibatch").isEqualTo(2000);
    assertThat(result.metrics().get(0).testNegElbo()).isBetween(50.0, 600.0);
    assertThat(result.artifact().info().anomalyThreshold()).as("99th percentile of held-out scores").isPositive();
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
}
