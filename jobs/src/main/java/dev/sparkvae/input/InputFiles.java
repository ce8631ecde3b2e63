package dev.sparkvae.input;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.HadoopReadOptions;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.SerializableConfiguration;
import scala.Tuple2;

/**
 * The data files of an input, checked before any work: the input must exist and hold data files (hidden and
 * {@code _}-prefixed names are not data, as for Spark), and every Parquet file must have a readable footer
 * (a truncated or corrupt file fails here, named, instead of in the middle of a job).
 *
 * @param path the input as given
 * @param files the usable data files
 * @param corrupt the corrupt files left out (with {@code ignoreCorrupt}), each with its reason
 */
public record InputFiles(String path, List<String> files, Map<String, String> corrupt) {

  /**
   * Lists and checks the data files of {@code path} (a file or a directory, searched recursively).
   *
   * @param parquet whether to check Parquet footers (in a Spark job, one task per group of files)
   * @param ignoreCorrupt leave corrupt files out (reported in {@link #corrupt()}) instead of failing
   * @throws IOException when the input is missing, holds no data files, or (unless ignored) has a corrupt file
   */
  public static InputFiles check(SparkSession spark, String path, boolean parquet, boolean ignoreCorrupt)
      throws IOException {
    Path input = new Path(path);
    FileSystem fs = input.getFileSystem(spark.sparkContext().hadoopConfiguration());
    if (!fs.exists(input)) {
      throw new IOException("Cannot read input " + path + ": it does not exist");
    }
    List<String> files = new ArrayList<>();
    RemoteIterator<LocatedFileStatus> listing = fs.listFiles(input, true);
    while (listing.hasNext()) {
      FileStatus file = listing.next();
      if (isData(input, file.getPath())) {
        files.add(file.getPath().toString());
      }
    }
    files.sort(null);
    if (files.isEmpty()) {
      throw new IOException("Cannot read input " + path + ": it holds no data files");
    }
    Map<String, String> corrupt = parquet ? corruptParquet(spark, files) : Map.of();
    if (!corrupt.isEmpty() && !ignoreCorrupt) {
      Map.Entry<String, String> first = corrupt.entrySet().iterator().next();
      throw new IOException(String.format("Cannot read input %s: %s is not a readable Parquet file (%s)%s; pass "
          + "--ignore-corrupt-files to skip corrupt files", path, first.getKey(), first.getValue(),
          corrupt.size() == 1 ? "" : " and " + (corrupt.size() - 1) + " more files are corrupt"));
    }
    List<String> usable = files.stream().filter(f -> !corrupt.containsKey(f)).toList();
    if (usable.isEmpty()) {
      throw new IOException("Cannot read input " + path + ": all its " + files.size() + " files are corrupt");
    }
    return new InputFiles(path, usable, corrupt);
  }

  /** Spark's rule: names starting with '_' or '.' below the input are not data (e.g. _SUCCESS, .crc files). */
  private static boolean isData(Path input, Path file) {
    for (Path p = file; p != null && !p.equals(input) && p.depth() > input.depth(); p = p.getParent()) {
      if (p.getName().startsWith("_") || p.getName().startsWith(".")) {
        return false;
      }
    }
    return true;
  }

  /** The files whose Parquet footer cannot be read, with the reason, read by the executors. */
  private static Map<String, String> corruptParquet(SparkSession spark, List<String> files) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SerializableConfiguration conf = new SerializableConfiguration(spark.sparkContext().hadoopConfiguration());
    int slices = Math.max(1, Math.min(files.size(), 4 * jsc.defaultParallelism()));
    List<Tuple2<String, String>> problems = jsc.parallelize(files, slices).flatMap(file -> {
      Path path = new Path(file);
      try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(path, conf.value()),
          HadoopReadOptions.builder(conf.value(), path).build())) {
        reader.getFooter();
        return List.<Tuple2<String, String>>of().iterator();
      } catch (IOException | RuntimeException e) {
        return List.of(new Tuple2<>(file, String.valueOf(e.getMessage()))).iterator();
      }
    }).collect();
    Map<String, String> corrupt = new TreeMap<>();
    problems.forEach(p -> corrupt.put(p._1(), p._2()));
    return corrupt;
  }
}
