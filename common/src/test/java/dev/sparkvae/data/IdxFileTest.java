package dev.sparkvae.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
  @TempDir Path dir;

  /** Writes an IDX images file of {@code count} 2×3 images whose pixel p of image i is (i * 6 + p) * 10. */
  static byte[] images(int count) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(IdxFile.IMAGES_MAGIC);
    out.writeInt(count);
    out.writeInt(2);
    out.writeInt(3);
    for (int i = 0; i < count; i++) {
      for (int p = 0; p < 6; p++) {
        out.writeByte((i * 6 + p) * 10);
      }
    }
    return bytes.toByteArray();
  }

  static byte[] labels(int... values) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(IdxFile.LABELS_MAGIC);
    out.writeInt(values.length);
    for (int v : values) {
      out.writeByte(v);
    }
    return bytes.toByteArray();
  }

  static Path gzip(Path file, byte[] content) throws IOException {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(content);
    }
    return file;
  }

  @Test
  void readsGzippedImagesScaledToUnitInterval() throws Exception {
    Path file = gzip(dir.resolve("images.gz"), images(4));
    float[][] images = IdxFile.readImages(file, 3);
    assertThat(images).as("limit applies").hasNumberOfRows(3);
    assertThat(images[0]).hasSize(6);
    assertThat(images[1][2]).isEqualTo(80 / 255f);
    assertThat(images[2][5]).isEqualTo(170 / 255f);
  }

  @Test
  void readsPlainLabels() throws Exception {
    Path file = Files.write(dir.resolve("labels"), labels(7, 0, 9));
    assertThat(IdxFile.readLabels(file, Integer.MAX_VALUE)).containsExactly(7, 0, 9);
  }

  @Test
  void rejectsWrongKindAndTruncatedFiles() throws Exception {
    Path labels = Files.write(dir.resolve("labels"), labels(1, 2));
    assertThatThrownBy(() -> IdxFile.readImages(labels, 10))
        .hasMessage("Cannot read images from " + labels + ": magic number 2049, expected 2051 (IDX images file)");
    byte[] full = images(3);
    Path truncated = Files.write(dir.resolve("truncated"), java.util.Arrays.copyOf(full, full.length - 4));
    assertThatThrownBy(() -> IdxFile.readImages(truncated, 10))
        .hasMessage("Cannot read " + truncated + ": the file ends inside item 2 (truncated)");
  }
}
