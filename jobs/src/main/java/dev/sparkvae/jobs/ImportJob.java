package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sparkvae.data.IdxFile;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.HadoopPaths;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code import}: Fashion-MNIST (or MNIST) IDX files to Parquet with {@code id} (long, 0-based position in the
 * file), {@code label} (int) and {@code features} (array&lt;float&gt;, pixels scaled to [0,1]).
 *
 * <p>The IDX files (any Hadoop path: local, {@code hdfs://}, {@code s3a://}) are read on the driver: they are a few
 * tens of MB. The output is written atomically and never over an existing path unless {@code overwrite} is set.
 */
public final class ImportJob {
  private static final Logger LOG = LoggerFactory.getLogger(ImportJob.class);

  /** The Parquet schema written. */
  public static final StructType SCHEMA = new StructType()
      .add(FeatureFrames.ID, DataTypes.LongType, false)
      .add(FeatureFrames.LABEL, DataTypes.IntegerType, false)
      .add(FeatureFrames.FEATURES, DataTypes.createArrayType(DataTypes.FloatType, false), false);

  /**
   * @param images IDX images file (plain or .gz; any Hadoop path)
   * @param labels IDX labels file with one label per image (any Hadoop path)
   * @param output output directory (any Hadoop path)
   * @param limit import at most this many images (the first ones)
   * @param partitions Parquet files to write
   * @param overwrite replace an existing output
   */
  public record Options(String images, String labels, String output, int limit, int partitions, boolean overwrite) {}

  /** What was written. */
  public record Result(String output, long rows, int featureCount) {}

  private final SparkSession spark;
  private final Options options;

  public ImportJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    AtomicDirectory.checkWritable(options.output(), options.overwrite(), hadoopConf);
    float[][] images = IdxFile.readImages(open(options.images(), hadoopConf), options.images(), options.limit());
    int[] labels = IdxFile.readLabels(open(options.labels(), hadoopConf), options.labels(), options.limit());
    if (images.length != labels.length) {
      throw new IOException(String.format("Cannot import %s with %s: %d images but %d labels", options.images(),
          options.labels(), images.length, labels.length));
    }
    List<Row> rows = new ArrayList<>(images.length);
    for (int i = 0; i < images.length; i++) {
      Float[] boxed = new Float[images[i].length];
      for (int p = 0; p < boxed.length; p++) {
        boxed[p] = images[i][p];
      }
      rows.add(RowFactory.create((long) i, labels[i], boxed));
    }
    String staging = AtomicDirectory.staging(options.output());
    try {
      spark.sparkContext().setJobDescription("import: " + rows.size() + " images from " + options.images());
      spark.createDataFrame(rows, SCHEMA).repartitionByRange(options.partitions(), col(FeatureFrames.ID))
          .write().parquet(staging);
      AtomicDirectory.commit(staging, options.output(), hadoopConf);
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
    int featureCount = images.length == 0 ? 0 : images[0].length;
    LOG.info("import: wrote {} rows of {} features to {}", rows.size(), featureCount, options.output());
    return new Result(options.output(), rows.size(), featureCount);
  }

  private static InputStream open(String file, Configuration hadoopConf) throws IOException {
    Path path = new Path(file);
    FileSystem fs = path.getFileSystem(hadoopConf);
    if (!HadoopPaths.isFile(fs, path)) {
      throw new IOException("Cannot read IDX file " + file + ": it does not exist");
    }
    return fs.open(path);
  }
}
