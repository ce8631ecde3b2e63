package dev.sparkvae.io;

import java.io.IOException;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Atomic directory outputs: a job writes to a hidden staging sibling, which is renamed to the final path only
 * once complete (with Spark's {@code _SUCCESS} inside). An existing final path is replaced only when asked.
 */
public final class AtomicDirectory {
  private AtomicDirectory() {}

  /** Fails when {@code dir} exists and {@code overwrite} is false. */
  public static void checkWritable(String dir, boolean overwrite, Configuration hadoopConf) throws IOException {
    Path path = new Path(dir);
    if (!overwrite && path.getFileSystem(hadoopConf).exists(path)) {
      throw new IOException("Cannot write " + dir + ": it already exists (pass --overwrite to replace it)");
    }
  }

  /** A fresh staging path beside {@code dir}. */
  public static String staging(String dir) {
    Path path = new Path(dir);
    return new Path(path.getParent(), "." + path.getName() + ".tmp-" + UUID.randomUUID()).toString();
  }

  /** Moves a completed staging directory to {@code dir}, replacing what is there only after the move succeeds. */
  public static void commit(String staging, String dir, Configuration hadoopConf) throws IOException {
    Path target = new Path(dir);
    FileSystem fs = target.getFileSystem(hadoopConf);
    Path previous = null;
    if (fs.exists(target)) {
      previous = new Path(target.getParent(), "." + target.getName() + ".old-" + UUID.randomUUID());
      if (!fs.rename(target, previous)) {
        throw new IOException("Cannot replace " + dir + ": renaming the existing output failed");
      }
    }
    if (!fs.rename(new Path(staging), target)) {
      throw new IOException("Cannot write " + dir + ": renaming " + staging + " into place failed");
    }
    if (previous != null) {
      fs.delete(previous, true);
    }
  }

  /** Deletes a staging directory left by a failed job; never throws. */
  public static void discard(String staging, Configuration hadoopConf) {
    try {
      Path path = new Path(staging);
      path.getFileSystem(hadoopConf).delete(path, true);
    } catch (IOException ignored) {
      // best effort: a hidden staging directory does not affect readers
    }
  }
}
