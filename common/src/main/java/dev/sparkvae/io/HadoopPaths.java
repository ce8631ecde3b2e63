package dev.sparkvae.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Hadoop's FileSystem.isFile and isDirectory, which it deprecates for getFileStatus: false for a missing path. */
public final class HadoopPaths {
  private HadoopPaths() {}

  public static boolean isFile(FileSystem fs, Path path) throws IOException {
    FileStatus status = status(fs, path);
    return status != null && status.isFile();
  }

  public static boolean isDirectory(FileSystem fs, Path path) throws IOException {
    FileStatus status = status(fs, path);
    return status != null && status.isDirectory();
  }

  /** The path's status, null where it does not exist. */
  private static FileStatus status(FileSystem fs, Path path) throws IOException {
    try {
      return fs.getFileStatus(path);
    } catch (FileNotFoundException e) {
      return null;
    }
  }
}
