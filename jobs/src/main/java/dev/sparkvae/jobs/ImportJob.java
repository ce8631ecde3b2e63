package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sparkvae.data.IdxFile;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.HadoopPaths;
import dev.sparkvae.io.RunSummary;
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
import picocli.CommandLine.Option;

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

  /** The options of import, with their flags. */
  public static final class Options implements JobOptions {
    @Option(names = "--images", required = true, paramLabel = "FILE",
        description = "IDX images file (.gz or plain; any Hadoop path).")
    private String images;

    @Option(names = "--labels", required = true, paramLabel = "FILE", description = "IDX labels file.")
    private String labels;

    @Option(names = "--output", required = true, paramLabel = "DIR", description = "Parquet output directory.")
    private String output;

    @Option(names = "--limit", paramLabel = "N", description = "Import only the first N images (default: all).")
    private int limit = Integer.MAX_VALUE;

    @Option(names = "--partitions", paramLabel = "N", description = "Parquet files to write.")
    private int partitions = 1;

    @Option(names = "--overwrite", description = "Replace an existing output directory.")
    private boolean overwrite;

    /** The IDX images file, plain or .gz (any Hadoop path). */
    public Options images(String file) {
      images = file;
      return this;
    }

    /** The IDX labels file, one label per image (any Hadoop path). */
    public Options labels(String file) {
      labels = file;
      return this;
    }

    /** The output directory (any Hadoop path). */
    public Options output(String dir) {
      output = dir;
      return this;
    }

    /** Import at most this many images, the first ones. */
    public Options limit(int images) {
      limit = images;
      return this;
    }

    /** The Parquet files to write. */
    public Options partitions(int files) {
      partitions = files;
      return this;
    }

    /** Replace an existing output. */
    public Options overwrite(boolean value) {
      overwrite = value;
      return this;
    }

    @Override
    public boolean overwrite() {
      return overwrite;
    }

    @Override
    public void recordInputs(RunSummary.Builder summary) {
      summary.input("images", images).input("labels", labels);
    }
  }

  /** What was written. */
  public record Result(String output, long rows, int featureCount) implements JobResult {
    @Override
    public String message() {
      return String.format("Imported %d rows of %d features to %s", rows, featureCount, output);
    }

    @Override
    public void summarize(RunSummary.Builder summary) {
      summary.output("output", output).count("rows_written", rows).throughput(rows);
    }
  }

  private final SparkSession spark;
  private final Options options;

  public ImportJob(SparkSession spark, Options options) {
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    AtomicDirectory.checkWritable(options.output, options.overwrite, hadoopConf);
    float[][] images = IdxFile.readImages(open(options.images, hadoopConf), options.images, options.limit);
    int[] labels = IdxFile.readLabels(open(options.labels, hadoopConf), options.labels, options.limit);
    if (images.length != labels.length) {
      throw new IOException(String.format("Cannot import %s with %s: %d images but %d labels", options.images,
          options.labels, images.length, labels.length));
    }
    List<Row> rows = new ArrayList<>(images.length);
    for (int i = 0; i < images.length; i++) {
      Float[] boxed = new Float[images[i].length];
      for (int p = 0; p < boxed.length; p++) {
        boxed[p] = images[i][p];
      }
      rows.add(RowFactory.create((long) i, labels[i], boxed));
    }
    String staging = AtomicDirectory.staging(options.output);
    try {
      spark.sparkContext().setJobDescription("import: " + rows.size() + " images from " + options.images);
      spark.createDataFrame(rows, SCHEMA).repartitionByRange(options.partitions, col(FeatureFrames.ID))
          .write().parquet(staging);
      AtomicDirectory.commit(staging, options.output, hadoopConf);
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
    }
    int featureCount = images.length == 0 ? 0 : images[0].length;
    LOG.info("import: wrote {} rows of {} features to {}", rows.size(), featureCount, options.output);
    return new Result(options.output, rows.size(), featureCount);
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
