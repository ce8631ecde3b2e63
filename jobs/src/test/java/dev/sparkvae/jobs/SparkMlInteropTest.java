package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSH;
import org.apache.spark.ml.feature.BucketedRandomProjectionLSHModel;
import org.apache.spark.ml.feature.PCA;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code encode --vector-output} feeds Spark ML as it is. */
class SparkMlInteropTest {
  @TempDir Path dir;

  private EncodeJob.Options options(String model, String output, boolean vectors) {
    return new EncodeJob.Options().input(TestSpark.SAMPLE.resolve("test").toString()).model(model)
        .output(output, "label").batchSize(128).vectorOutput(vectors);
  }

  @Test
  void vectorOutputGoesStraightIntoKMeansPcaAndLsh() throws Exception {
    SparkSession spark = TestSpark.session();
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 500);
    String vectors = dir.resolve("vectors").toString();
    String arrays = dir.resolve("arrays").toString();
    new EncodeJob(spark, options(model, vectors, true)).run();
    new EncodeJob(spark, options(model, arrays, false)).run();

    Dataset<Row> encoded = spark.read().parquet(vectors);
    assertThat(encoded.schema().apply("z_mean").dataType()).isEqualTo(SQLDataTypes.VectorType());
    assertThat(encoded.schema().apply("z_log_var").dataType()).isEqualTo(SQLDataTypes.VectorType());
    Map<Long, List<Float>> asArrays = spark.read().parquet(arrays).collectAsList().stream()
        .collect(Collectors.toMap(r -> r.getLong(0), r -> r.getList(1)));
    for (Row row : encoded.collectAsList()) {
      Vector vector = row.getAs("z_mean");
      List<Float> array = asArrays.get(row.getLong(0));
      assertThat(vector.size()).isEqualTo(8);
      for (int i = 0; i < 8; i++) {
        assertThat((float) vector.apply(i)).as("id %d, z_mean[%d]", row.getLong(0), i).isEqualTo(array.get(i));
      }
    }

    KMeansModel kmeans = new KMeans().setK(4).setSeed(1).setFeaturesCol("z_mean").fit(encoded);
    assertThat(kmeans.clusterCenters()).hasSize(4).allSatisfy(c -> assertThat(c.size()).isEqualTo(8));
    Dataset<Row> clustered = kmeans.transform(encoded);
    assertThat(clustered.count()).isEqualTo(500);
    assertThat(clustered.select("prediction").distinct().count()).isBetween(2L, 4L);

    Row projected = new PCA().setK(2).setInputCol("z_mean").setOutputCol("pc").fit(encoded).transform(encoded)
        .select("pc").first();
    assertThat(((Vector) projected.get(0)).size()).isEqualTo(2);

    BucketedRandomProjectionLSHModel lsh = new BucketedRandomProjectionLSH().setBucketLength(1.0).setNumHashTables(3)
        .setSeed(1).setInputCol("z_mean").setOutputCol("hashes").fit(encoded);
    Vector key = encoded.first().getAs("z_mean");
    List<Row> neighbours = lsh.approxNearestNeighbors(encoded, key, 5).toDF().collectAsList();
    assertThat(neighbours).isNotEmpty().hasSizeLessThanOrEqualTo(5);
    assertThat(neighbours.get(0).<Double>getAs("distCol")).as("the key row is its own nearest neighbour")
        .isEqualTo(0.0);
  }
}
