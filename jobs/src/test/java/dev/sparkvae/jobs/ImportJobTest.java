package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportJobTest {
  @TempDir Path dir;

  /** Writes gzipped IDX files of {@code count} 4×4 images (pixel p of image i = (i + p) % 256) and labels i % 10. */
  private void writeIdx(Path images, Path labels, int count) throws IOException {
    try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(Files.newOutputStream(images)))) {
      out.writeInt(2051);
      out.writeInt(count);
      out.writeInt(4);
      out.writeInt(4);
      for (int i = 0; i < count; i++) {
        for (int p = 0; p < 16; p++) {
          out.writeByte((i + p) % 256);
        }
      }
    }
    try (OutputStream raw = new GZIPOutputStream(Files.newOutputStream(labels));
        DataOutputStream out = new DataOutputStream(raw)) {
      out.writeInt(2049);
      out.writeInt(count);
      for (int i = 0; i < count; i++) {
        out.writeByte(i % 10);
      }
    }
  }

  @Test
  void roundTripsIdxToParquet() throws Exception {
    Path images = dir.resolve("images.gz");
    Path labels = dir.resolve("labels.gz");
    writeIdx(images, labels, 300);
    String output = dir.resolve("out").toString();

    ImportJob.Result result = new ImportJob(TestSpark.session(),
        new ImportJob.Options().images(images.toString()).labels(labels.toString()).output(output).limit(250)
            .partitions(3)).run();

    assertThat(result.rows()).isEqualTo(250);
    assertThat(result.featureCount()).isEqualTo(16);
    assertThat(dir.resolve("out/_SUCCESS")).exists();
    List<Row> rows = TestSpark.session().read().parquet(output).orderBy("id").collectAsList();
    assertThat(rows).as("limit 250 of 300").hasSize(250);
    assertThat(TestSpark.session().read().parquet(output).inputFiles()).as("3 partitions").hasSize(3);
    Row row = rows.get(123);
    assertThat(row.getLong(row.fieldIndex("id"))).isEqualTo(123);
    assertThat(row.getInt(row.fieldIndex("label"))).isEqualTo(3);
    List<Float> features = row.getList(row.fieldIndex("features"));
    assertThat(features).hasSize(16);
    assertThat(features.get(5)).isEqualTo(128 / 255f);
    assertThat(Files.list(dir).filter(p -> p.getFileName().toString().startsWith(".")).count())
        .as("no staging directory left behind").isZero();
  }

  @Test
  void refusesExistingOutputAndMismatchedFiles() throws Exception {
    Path images = dir.resolve("images.gz");
    Path labels = dir.resolve("labels.gz");
    writeIdx(images, labels, 20);
    String output = dir.resolve("out").toString();
    new ImportJob(TestSpark.session(), new ImportJob.Options().images(images.toString()).labels(labels.toString())
        .output(output).limit(100)).run();
    assertThatThrownBy(() -> new ImportJob(TestSpark.session(),
        new ImportJob.Options().images(images.toString()).labels(labels.toString()).output(output).limit(100)).run())
        .hasMessage("Cannot write " + output + ": it already exists (pass --overwrite to replace it)");

    Path fewerLabels = dir.resolve("fewer.gz");
    writeIdx(dir.resolve("other.gz"), fewerLabels, 10);
    String second = dir.resolve("second").toString();
    assertThatThrownBy(() -> new ImportJob(TestSpark.session(),
        new ImportJob.Options().images(images.toString()).labels(fewerLabels.toString()).output(second).limit(100))
        .run())
        .hasMessage("Cannot import " + images + " with " + fewerLabels + ": 20 images but 10 labels");
    assertThat(dir.resolve("second")).doesNotExist();
  }
}
