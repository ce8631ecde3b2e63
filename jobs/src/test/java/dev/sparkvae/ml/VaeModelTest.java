package dev.sparkvae.ml;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.jobs.TestModels;
import dev.sparkvae.jobs.TestSpark;
import java.nio.file.Path;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
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
  void rejectsColumnsItCannotUse() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    Dataset<Row> data = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString());
    VaeModel vae = VaeModel.load(model);
    assertThatThrownBy(() -> vae.setFeaturesCol("label").transform(data))
        .hasMessage("Cannot read input the dataset: its features column label has type int; the features must be an "
            + "array of numbers, a Spark ML vector, or numeric columns named by data.feature-columns");
    assertThatThrownBy(() -> vae.setFeaturesCol("features").setOutputCols("z_mean")
        .transform(data.withColumn("z_mean", col("label"))))
        .hasMessage("Cannot append output z_mean: the input already has that column");
    assertThatThrownBy(() -> vae.setIdCol("features").transform(data))
        .hasMessage("Cannot use idCol features: it must be an integer or string column; the columns are "
            + "struct<id:bigint,label:int,features:array<float>>");
    assertThatThrownBy(() -> vae.setOutputCols("z_median"))
        .hasMessage("Cannot set param outputCols to [z_median]: each output must be one of [z_mean, z_log_var, "
            + "reconstruction_error, log_prob, negative_elbo, reconstruction, is_anomaly]");
  }
}
