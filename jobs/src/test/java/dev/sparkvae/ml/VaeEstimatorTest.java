package dev.sparkvae.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.jobs.TestSpark;
import dev.sparkvae.jobs.TrainJob;
import dev.sparkvae.model.ModelArtifact;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML estimator on the committed breast-cancer table, in a pipeline after a VectorAssembler. */
class VaeEstimatorTest {
  private static final Path DATA = Paths.get("..", "data", "breast-cancer").toAbsolutePath().normalize();

  @TempDir Path dir;

  private static Dataset<Row> table(String split) {
    return TestSpark.session().read().option("header", "true").option("inferSchema", "true")
        .csv(DATA.resolve(split).toString());
  }

  private static String[] columns() throws Exception {
    List<String> header = Arrays.asList(Files.readAllLines(DATA.resolve("train/benign.csv")).get(0).split(","));
    return header.subList(2, header.size()).toArray(new String[0]);
  }

  private static VaeEstimator smallGaussian() {
    return new VaeEstimator().setDistribution("gaussian").setEncoderSizes(32).setDecoderSizes(32).setLatentSize(4)
        .setEpochs(2).setWorkers(2);
  }

  @Test
  void aPipelineFitsSavesLoadsAndTransformsIdentically() throws Exception {
    Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
        new VectorAssembler().setInputCols(columns()).setOutputCol("features"),
        smallGaussian().setOutputCols("z_mean", "log_prob", "reconstruction_error", "is_anomaly")});
    PipelineModel fitted = pipeline.fit(table("train"));
    String saved = dir.resolve("pipeline").toString();
    fitted.write().save(saved);
    PipelineModel loaded = PipelineModel.load(saved);

    List<Row> expected = fitted.transform(table("test")).select("id", "z_mean", "log_prob", "reconstruction_error",
        "is_anomaly").orderBy("id").collectAsList();
    assertThat(expected).hasSize(269);
    assertThat(loaded.transform(table("test")).select("id", "z_mean", "log_prob", "reconstruction_error",
        "is_anomaly").orderBy("id").collectAsList()).as("the loaded pipeline's outputs").isEqualTo(expected);
    VaeModel model = (VaeModel) loaded.stages()[1];
    assertThat(model.getOutputCols()).as("the estimator's scoring params went to its model")
        .containsExactly("z_mean", "log_prob", "reconstruction_error", "is_anomaly");
    assertThat(model.latentSize()).isEqualTo(4);
    assertThat(model.featureCount()).isEqualTo(30);
    assertThat(model.modelJson()).contains("\"method\" : \"standardize\"");
  }

  @Test
  void fitTrainsTheModelThatTheTrainJobTrains() throws Exception {
    Dataset<Row> assembled = new VectorAssembler().setInputCols(columns()).setOutputCol("features")
        .transform(table("train"));
    VaeModel fitted = smallGaussian().fit(assembled);

    String model = dir.resolve("model").toString();
    List<String> settings = new ArrayList<>(List.of("data.format=csv", "data.feature-columns=["
        + String.join(",", columns()) + "]", "vae.distribution=gaussian", "vae.encoder-sizes=[32]",
        "vae.decoder-sizes=[32]", "vae.latent-size=4", "train.epochs=2", "train.workers=2", "plot.enabled=false"));
    new TrainJob(TestSpark.session(), TestSpark.settings(settings.toArray(new String[0])),
        new TrainJob.Options().input(DATA.resolve("train").toString()).model(model)).run();

    assertThat(fitted.transform(assembled).select("id", "z_mean", "z_log_var").orderBy("id").collectAsList())
        .isEqualTo(VaeModel.load(model).setFeaturesCol("features").transform(assembled)
            .select("id", "z_mean", "z_log_var").orderBy("id").collectAsList());
    String saved = dir.resolve("saved-model").toString();
    fitted.write().save(saved);
    assertThat(ModelArtifact.load(saved + "/data", new Configuration()).network().params().toFloatVector())
        .as("the same parameters as the train job's")
        .containsExactly(ModelArtifact.load(model, new Configuration()).network().params().toFloatVector());
  }

  @Test
  void paramsRejectBadValuesNamingTheRule() {
    VaeEstimator vae = new VaeEstimator();
    assertThatThrownBy(() -> vae.setLatentSize(0)).hasMessage("Cannot set param latentSize to 0: Cannot set "
        + "vae.latent-size to 0 (from --set vae.latent-size=0: 1): the value must be a positive integer");
    assertThatThrownBy(() -> vae.setScaling("zscore")).hasMessageStartingWith("Cannot set param scaling to zscore: "
        + "Cannot set data.scaling to \"zscore\"").hasMessageEndingWith(
            "the value must be one of auto, none, standardize, min-max");
    assertThatThrownBy(() -> vae.setValidationFraction(1.0)).hasMessageEndingWith(
        "the value must be a number from 0 (inclusive) to 1 (exclusive)");
    assertThatThrownBy(() -> vae.setBatchSize(0))
        .hasMessage("Cannot set param batchSize to 0: the value must be a positive integer");
    assertThatThrownBy(() -> vae.setEngine("tensorrt", 1))
        .hasMessage("Cannot set param engine to tensorrt: the value must be one of nd4j, onnxruntime");
    assertThatThrownBy(() -> vae.setSettings("train.nope=1")).hasMessageContaining("Unknown setting train.nope");
    assertThat(vae.getLatentSize()).as("refused values leave the param as it was").isEqualTo(16);
    assertThatThrownBy(() -> vae.setScaling("standardize").fit(table("train").limit(10)
        .selectExpr("id", "array(mean_radius) as features")))
        .hasMessage("Cannot use data.scaling = standardize with vae.distribution = bernoulli: a Bernoulli p(x|z) "
            + "models data in [0, 1] as given; use none, or a gaussian model");
    assertThatThrownBy(() -> vae.transformSchema(table("train").schema()))
        .hasMessageStartingWith("Cannot use featuresCol features: it is not a column");
    assertThatThrownBy(() -> vae.setFeaturesCol("mean_radius").transformSchema(table("train").schema()))
        .hasMessageStartingWith("Cannot read the dataset: its features column mean_radius has type double");
  }

  @Test
  void anEstimatorSavesAndLoadsWithItsParams() throws Exception {
    VaeEstimator vae = smallGaussian().setSettings("train.eval-batch-size=500").setOutputCols("log_prob");
    String saved = dir.resolve("estimator").toString();
    vae.write().save(saved);
    VaeEstimator loaded = VaeEstimator.load(saved);
    assertThat(loaded.uid()).isEqualTo(vae.uid());
    for (var param : vae.params()) {
      assertThat(loaded.getOrDefault(loaded.getParam(param.name()))).as(param.name())
          .isEqualTo(vae.getOrDefault(param));
    }
    assertThat(loaded.getLatentSize()).isEqualTo(4);
    assertThat(loaded.getOrDefault(loaded.settings())).containsExactly("train.eval-batch-size=500");
  }
}
