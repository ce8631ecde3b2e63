package dev.sparkvae.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reader of the IDX format of MNIST and Fashion-MNIST (plain or gzip-compressed).
 *
 * <p>Images (magic 2051) become rows of {@code rows*cols} floats scaled from [0,255] to [0,1]; labels (magic 2049)
 * become ints. Files are read whole: the Fashion-MNIST train images take 188 MB as floats.
 */
public final class IdxFile {
  static final int IMAGES_MAGIC = 0x00000803;
  static final int LABELS_MAGIC = 0x00000801;

  private IdxFile() {}

  /** Images scaled to [0,1], one row per image, at most {@code limit} of them. */
  public static float[][] readImages(Path file, int limit) throws IOException {
    return readImages(open(file), file.toString(), limit);
  }

  /** Images of the IDX stream {@code source} (closed here), named {@code file} in messages. */
  public static float[][] readImages(InputStream source, String file, int limit) throws IOException {
    try (DataInputStream in = decompressed(source)) {
      checkMagic(file, in.readInt(), IMAGES_MAGIC, "images");
      int count = Math.min(in.readInt(), limit);
      int pixels = in.readInt() * in.readInt();
      byte[] raw = new byte[pixels];
      float[][] images = new float[count][pixels];
      for (int i = 0; i < count; i++) {
        readFully(file, in, raw, i);
        for (int p = 0; p < pixels; p++) {
          images[i][p] = (raw[p] & 0xff) / 255f;
        }
      }
      return images;
    }
  }

  /** Labels, at most {@code limit} of them. */
  public static int[] readLabels(Path file, int limit) throws IOException {
    return readLabels(open(file), file.toString(), limit);
  }

  /** Labels of the IDX stream {@code source} (closed here), named {@code file} in messages. */
  public static int[] readLabels(InputStream source, String file, int limit) throws IOException {
    try (DataInputStream in = decompressed(source)) {
      checkMagic(file, in.readInt(), LABELS_MAGIC, "labels");
      int count = Math.min(in.readInt(), limit);
      byte[] raw = new byte[count];
      readFully(file, in, raw, 0);
      int[] labels = new int[count];
      for (int i = 0; i < count; i++) {
        labels[i] = raw[i] & 0xff;
      }
      return labels;
    }
  }

  private static InputStream open(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("Cannot read IDX file " + file + ": it does not exist");
    }
    return Files.newInputStream(file);
  }

  private static DataInputStream decompressed(InputStream source) throws IOException {
    InputStream raw = new BufferedInputStream(source, 1 << 16);
    raw.mark(2);
    boolean gzip = raw.read() == 0x1f && raw.read() == 0x8b;
    raw.reset();
    return new DataInputStream(new BufferedInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw, 1 << 16));
  }

  private static void checkMagic(String file, int magic, int expected, String kind) throws IOException {
    if (magic != expected) {
      throw new IOException(String.format("Cannot read %s from %s: magic number %d, expected %d (IDX %s file)", kind,
          file, magic, expected, kind));
    }
  }

  private static void readFully(String file, DataInputStream in, byte[] buffer, int item) throws IOException {
    try {
      in.readFully(buffer);
    } catch (EOFException e) {
      throw new IOException("Cannot read " + file + ": the file ends inside item " + item + " (truncated)", e);
    }
  }
}
