package dev.sparkvae.ml;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.jobs.AttributionChecks;
import dev.sparkvae.jobs.TestModels;
import dev.sparkvae.jobs.TestSpark;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.VaeMaths;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeModelTest {
  @TempDir Path dir;

  @Test
  void appendsOutputsToAnyDataFrameAndKeepsItsColumns() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    Dataset<Row> users = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString())
        .withColumnRenamed("id", "image_id")
        .withColumn("pixels", col("features").cast("array<double>"))
        .drop("features")
        .withColumn("note", col("label").multiply(2));

    VaeModel vae = VaeModel.load(model).setIdCol("image_id")
        .setFeaturesCol("pixels").setOutputCols("z_mean", "reconstruction_error", "is_anomaly");
    Dataset<Row> out = new Pipeline().setStages(new PipelineStage[] {vae}).fit(users).transform(users);

    assertThat(out.columns()).containsExactly("image_id", "label", "pixels", "note", "z_mean",
        "reconstruction_error", "is_anomaly");
    assertThat(out.count()).isEqualTo(500);
    Row first = out.orderBy("image_id").first();
    assertThat(first.getList(first.fieldIndex("z_mean"))).hasSize(8);
    assertThat(vae.getAnomalyThreshold()).isEqualTo(540.0);
  }

  @Test
  void transformKeepingGivesTheSameRowsAsTransformThenSelect() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    Dataset<Row> data = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString());
    VaeModel vae = VaeModel.load(model)
        .setOutputCols("z_mean", "z_log_var", "reconstruction_error");

    Dataset<Row> kept = vae.transformKeeping(data, "label", "id");

    assertThat(kept.columns()).containsExactly("label", "id", "z_mean", "z_log_var", "reconstruction_error");
    assertThat(kept.orderBy("id").collectAsList()).as("same rows as transform then select")
        .isEqualTo(vae.transform(data).select("label", "id", "z_mean", "z_log_var", "reconstruction_error")
            .orderBy("id").collectAsList());
    assertThatThrownBy(() -> vae.transformKeeping(data, "labels"))
        .hasMessage("Cannot keep column labels: the input has no such column; columns are [id, label, features]");
  }

  @Test
  void sparseAndDenseVectorsAndDoubleArraysGiveTheSameOutputs() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    Dataset<Row> data = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString()).limit(100);
    VaeModel vae = VaeModel.load(model).setOutputCols("z_mean", "log_prob").setBatchSize(100);
    List<Row> expected = vae.transform(data).select("id", "z_mean", "log_prob").orderBy("id").collectAsList();

    Dataset<Row> dense = data.withColumn("features", org.apache.spark.ml.functions.array_to_vector(col("features")));
    UserDefinedFunction sparse = functions.udf((Vector v) -> v.toSparse(), SQLDataTypes.VectorType());
    for (Dataset<Row> input : List.of(data.withColumn("features", col("features").cast("array<double>")), dense,
        dense.withColumn("features", sparse.apply(col("features"))))) {
      assertThat(vae.transform(input).select("id", "z_mean", "log_prob").orderBy("id").collectAsList())
          .as(input.schema().apply("features").dataType().simpleString()).isEqualTo(expected);
    }
    Row first = dense.withColumn("features", sparse.apply(col("features"))).first();
    assertThat(first.get(first.fieldIndex("features"))).isInstanceOf(org.apache.spark.ml.linalg.SparseVector.class);
  }

  @Test
  void aStringIdSeedsItsRowsNoiseByItsSparkXxHash() throws Exception {
    String model = dir.resolve("model").toString();
    MultiLayerNetwork net = TestModels.write(model, 784, 540.0);
    List<Row> rows = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString()).limit(50)
        .select(functions.concat(functions.lit("img-"), col("id")).as("key"), col("features"),
            functions.xxhash64(functions.concat(functions.lit("img-"), col("id"))).as("hash"))
        .orderBy("key").collectAsList();
    float[] x = new float[rows.size() * 784];
    long[] hashes = new long[rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      List<Float> features = rows.get(r).getList(1);
      for (int f = 0; f < 784; f++) {
        x[r * 784 + f] = features.get(f);
      }
      hashes[r] = rows.get(r).getLong(2);
    }
    VaeModel vae = VaeModel.load(model).setIdCol("key").setOutputCols("log_prob").setSamples(4)
        .setEngine("nd4j", 1).setBatchSize(50);
    long seed = BatchScorer.seedOf(ModelArtifact.readVerified(model, new Configuration()).info().modelSha256());
    float[] expected = new Nd4jScorer(VaeMaths.of(net), 4, false, seed).score(x, rows.size(), hashes).logProb();

    List<Row> scored = vae.transform(TestSpark.session().createDataFrame(rows, rows.get(0).schema()).drop("hash"))
        .select("key", "log_prob").orderBy("key").collectAsList();
    for (int r = 0; r < rows.size(); r++) {
      assertThat(scored.get(r).getString(0)).isEqualTo(rows.get(r).getString(0));
      // The same noise; BLAS may round a row in a batch of another size differently in the last bit.
      assertThat(scored.get(r).getFloat(1)).as("log_prob of %s", rows.get(r).getString(0))
          .isCloseTo(expected[r], within(1e-6f * Math.abs(expected[r])));
    }
  }

  /**
   * attributionFeatures in a Pipeline: the column after the outputs, the K largest Bernoulli deviances of the
   * features, derived here from the input and the reconstruction output; a K outside 0..784 is refused.
   */
  @Test
  void attributionFeaturesAppendsTheLargestContributionsInAPipeline() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    Dataset<Row> data = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString());
    VaeModel vae = VaeModel.load(model).setOutputCols("anomaly_score", "reconstruction").setAttributionFeatures(3);
    Dataset<Row> out = new Pipeline().setStages(new PipelineStage[] {vae}).fit(data).transform(data);

    assertThat(out.columns()).containsExactly("id", "label", "features", "anomaly_score", "reconstruction",
        "attribution");
    List<Row> rows = out.collectAsList();
    assertThat(rows).hasSize(500);
    for (Row row : rows) {
      float[] x = AttributionChecks.floats(row, "features");
      float[] p = AttributionChecks.floats(row, "reconstruction");
      AttributionChecks.check(row, x, p, List.of(), 3, f -> AttributionChecks.bernoulli(x[f], p[f]),
          f -> AttributionChecks.bernoulliTolerance(x[f], p[f], AttributionChecks.bernoulli(x[f], p[f])));
    }
    assertThatThrownBy(() -> vae.setAttributionFeatures(-1))
        .hasMessage("Cannot set param attributionFeatures to -1: the value must be 0 (none) or more");
    assertThatThrownBy(() -> vae.setAttributionFeatures(785).transform(data))
        .hasMessage("Cannot set param attributionFeatures to 785: the value must be from 0 (none) to the model's "
            + "feature count, 784");
  }

  @Test
  void rejectsColumnsItCannotUse() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    Dataset<Row> data = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString());
    VaeModel vae = VaeModel.load(model);
    assertThatThrownBy(() -> vae.setFeaturesCol("label").transform(data))
        .hasMessage("Cannot read the dataset: its features column label has type int; the features must be an "
            + "array of numbers, a Spark ML vector, or numeric columns named by data.feature-columns");
    assertThatThrownBy(() -> vae.setFeaturesCol("features").setOutputCols("z_mean")
        .transform(data.withColumn("z_mean", col("label"))))
        .hasMessage("Cannot append output z_mean: the input already has that column");
    assertThatThrownBy(() -> vae.setIdCol("features").transform(data))
        .hasMessage("Cannot use idCol features: it must be an integer or string column; the columns are "
            + "struct<id:bigint,label:int,features:array<float>>");
    assertThatThrownBy(() -> vae.setOutputCols("z_median"))
        .hasMessage("Cannot set param outputCols to [z_median]: each output must be one of [z_mean, z_log_var, "
            + "reconstruction_error, anomaly_score, log_prob, negative_elbo, reconstruction, is_anomaly]");
  }
}
