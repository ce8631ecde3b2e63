package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.cli.Cli;
import dev.sparkvae.io.HadoopPaths;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.ModelArtifact;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The jobs on a real HDFS: an in-process MiniDFSCluster (NameNode and one DataNode on free loopback ports), with
 * every input and output an {@code hdfs://} path, IDX files included.
 */
class HdfsRoundTripTest {
  @TempDir static Path dir;
  private static MiniDFSCluster hdfs;

  @BeforeAll
  static void startHdfs() throws IOException {
    hdfs = MiniYarn.startHdfs(new Configuration(), dir.resolve("hdfs"));
  }

  @AfterAll
  static void stopHdfs() {
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  /** Writes the first {@code count} rows of a sample split to HDFS as gzipped IDX images and labels. */
  private static void writeIdx(FileSystem fs, String split, int count, String images, String labels)
      throws IOException {
    List<Row> rows = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve(split).toString()).orderBy("id")
        .limit(count).collectAsList();
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(fs.create(new org.apache.hadoop.fs.Path(
        images))))) {
      out.writeInt(2051);
      out.writeInt(count);
      out.writeInt(28);
      out.writeInt(28);
      for (Row row : rows) {
        for (Object pixel : row.getList(row.fieldIndex("features"))) {
          out.writeByte(Math.round((Float) pixel * 255));
        }
      }
    }
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(fs.create(new org.apache.hadoop.fs.Path(
        labels))))) {
      out.writeInt(2049);
      out.writeInt(count);
      for (Row row : rows) {
        out.writeByte(row.getInt(row.fieldIndex("label")));
      }
    }
  }

  @Test
  void importTrainEncodeAndPlotWithEveryPathOnHdfs() throws Exception {
    SparkSession spark = TestSpark.session();
    FileSystem fs = hdfs.getFileSystem();
    String root = hdfs.getURI() + "/sparkvae";
    assertThat(root).startsWith("hdfs://");
    writeIdx(fs, "train", 400, root + "/idx/train-images.gz", root + "/idx/train-labels.gz");
    writeIdx(fs, "test", 100, root + "/idx/test-images.gz", root + "/idx/test-labels.gz");

    String train = root + "/data/train";
    String test = root + "/data/test";
    assertThat(new ImportJob(spark, new ImportJob.Options().images(root + "/idx/train-images.gz")
        .labels(root + "/idx/train-labels.gz").output(train).partitions(2)).run().rows()).isEqualTo(400);
    assertThat(new ImportJob(spark, new ImportJob.Options().images(root + "/idx/test-images.gz")
        .labels(root + "/idx/test-labels.gz").output(test)).run().rows()).isEqualTo(100);
    List<Row> imported = spark.read().parquet(test).orderBy("id").collectAsList();
    List<Row> original = spark.read().parquet(TestSpark.SAMPLE.resolve("test").toString()).orderBy("id").limit(100)
        .collectAsList();
    assertThat(imported).extracting(r -> r.getList(r.fieldIndex("features")))
        .as("pixels survive IDX on HDFS and back").isEqualTo(original.stream()
            .map(r -> r.getList(r.fieldIndex("features"))).toList());

    String model = root + "/models/fmnist";
    TrainJob.Result trained = new TrainJob(spark, TestSpark.smallRecipe("train.epochs=1", "plot.latent-points=50"),
        new TrainJob.Options().input(train).test(test).model(model)).run();
    assertThat(trained.trainExamples()).isEqualTo(400);
    for (String file : List.of("model.zip", "model.json", "metrics.json", "encoder.onnx", "decoder.onnx",
        "plots/training-curve.png", "plots/latent-map.png", "plots/reconstructions.png", "plots/prior-samples.png")) {
      assertThat(HadoopPaths.isFile(fs, new org.apache.hadoop.fs.Path(model + "/" + file)))
          .as("%s on HDFS", file).isTrue();
    }
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(model + "/plots/latent-map.png"))) {
      assertThat(ImageIO.read(in).getWidth()).isEqualTo(800);
    }
    assertThat(ModelArtifact.load(model, spark.sparkContext().hadoopConfiguration()).metrics())
        .as("the model reloads from HDFS, checksum verified").isEqualTo(trained.metrics());

    PlotJob.Result plots = new PlotJob(spark, new PlotJob.Options()
        .settings(TestSpark.settings("plot.latent-points=30")).input(test).model(model)).run();
    assertThat(plots.output()).isEqualTo(model + "/plots/test");
    assertThat(fs.listStatus(new org.apache.hadoop.fs.Path(plots.output()))).hasSize(4);

    String encoded = root + "/encoded/test";
    String summary = root + "/runs/encode.json";
    StringWriter err = new StringWriter();
    int code = Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), Stream.concat(
        Stream.of(TestSpark.LOCAL_CLUSTER), Stream.of("encode", "--input", test, "--model", model, "--output", encoded,
            "--keep", "label", "--summary", summary)).toArray(String[]::new));
    assertThat(code).as(err.toString()).isZero();

    SparkSession after = TestSpark.session();
    List<Row> rows = after.read().parquet(encoded).orderBy("id").collectAsList();
    assertThat(rows).extracting(r -> r.getLong(0)).containsExactlyElementsOf(LongStream.range(0, 100).boxed()
        .toList());
    assertThat(rows).allSatisfy(r -> assertThat(r.getList(1)).hasSize(8));
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(encoded + "/_SUCCESS"))).isTrue();
    JsonNode json;
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(summary))) {
      json = JsonFiles.MAPPER.readTree(in);
    }
    assertThat(json.get("status").asText()).isEqualTo("succeeded");
    assertThat(json.at("/counts/rows_written").asLong()).isEqualTo(100);
    assertThat(json.at("/outputs/output").asText()).isEqualTo(encoded);
    assertThat(fs.listStatus(new org.apache.hadoop.fs.Path(root + "/encoded"))).as("no staging left on HDFS")
        .hasSize(1);
  }
}
