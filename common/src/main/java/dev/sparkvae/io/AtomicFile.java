package dev.sparkvae.io;

import java.io.IOException;
import java.io.OutputStream;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Atomic single-file outputs (JSON summaries): the bytes go to a hidden sibling that is renamed into place, so a
 * reader sees the old file or the whole new one, never a part. Whether an existing file may be replaced is the
 * caller's check ({@link AtomicDirectory#checkWritable}), made before any work.
 */
public final class AtomicFile {
  private AtomicFile() {}

  /** Writes {@code bytes} to {@code file} (any Hadoop path), replacing an existing file. */
  public static void write(String file, byte[] bytes, Configuration hadoopConf) throws IOException {
    Path target = new Path(file);
    FileSystem fs = target.getFileSystem(hadoopConf);
    Path staging = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    try {
      try (OutputStream out = fs.create(staging, false)) {
        out.write(bytes);
      }
      if (fs.exists(target)) {
        fs.delete(target, false);
      }
      if (!fs.rename(staging, target)) {
        throw new IOException("Cannot write " + file + ": renaming " + staging + " into place failed");
      }
    } finally {
      fs.delete(staging, false);
    }
  }
}
