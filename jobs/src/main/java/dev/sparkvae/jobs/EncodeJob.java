package dev.sparkvae.jobs;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureValidator;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.jobs.spark.ExecutorModels;
import dev.sparkvae.jobs.spark.FeatureFrames;
import dev.sparkvae.jobs.spark.Minibatches;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.VaeModel;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code encode}: every row of a dataset to the mean and log-variance of q(z|x). Output Parquet: {@code id}
 * (long), {@code z_mean} and {@code z_log_var} (array&lt;float&gt; of the latent size), then the input columns
 * named in {@code keep}.
 *
 * <p>The lean path: no decoder, no sampling; both latent heads in one GEMM ({@link VaeModel#encodeJoint}). The
 * model is broadcast once and restored once per executor JVM; each partition streams through fixed-size batches
 * packed into one float buffer, never buffering the partition. The input is checked against the model's feature
 * schema before any work; bad rows stop the job naming file, id and rule. Output is committed atomically and
 * never over an existing path unless {@code overwrite} is set.
 */
public final class EncodeJob {
  private static final Logger LOG = LoggerFactory.getLogger(EncodeJob.class);
  public static final String Z_MEAN = "z_mean";
  public static final String Z_LOG_VAR = "z_log_var";

  /**
   * @param input Parquet (or CSV, per {@code format}) with the model's feature columns
   * @param model model directory written by {@code train}
   * @param output output directory
   * @param keep input columns copied to the output
   * @param batchSize rows per forward pass
   * @param format parquet | csv
   * @param overwrite replace an existing output
   */
  public record Options(String input, String model, String output, List<String> keep, int batchSize, String format,
      boolean overwrite) {}

  /** What was written. */
  public record Result(String output, long rows, int latentSize) {}

  private final SparkSession spark;
  private final Options options;

  public EncodeJob(SparkSession spark, Options options) {
    if (options.batchSize() <= 0) {
      throw new IllegalArgumentException("Cannot set --batch-size to " + options.batchSize()
          + ": the value must be a positive integer");
    }
    this.spark = spark;
    this.options = options;
  }

  public Result run() throws IOException {
    Configuration hadoopConf = spark.sparkContext().hadoopConfiguration();
    AtomicDirectory.checkWritable(options.output(), options.overwrite(), hadoopConf);
    ModelArtifact artifact = ModelArtifact.load(options.model(), hadoopConf);
    FeatureSchema schema = artifact.info().featureSchema();
    DataSettings data = new DataSettings(options.format(), schema.idColumn(), "", schema.featuresColumn(),
        schema.featureColumns());
    Dataset<Row> frame = FeatureFrames.read(spark, data, options.input(), options.keep());
    FeatureSchema found = FeatureFrames.schemaOf(frame, data, options.input());
    if (found.featureCount() != schema.featureCount()) {
      throw new IOException(String.format("Cannot encode %s with the model in %s: the input has %s, the model "
          + "expects %s", options.input(), options.model(), found.describe(), schema.describe()));
    }
    int latentSize = artifact.info().vae().latentSize();
    StructType outputSchema = new StructType()
        .add(FeatureFrames.ID, DataTypes.LongType, false)
        .add(Z_MEAN, DataTypes.createArrayType(DataTypes.FloatType, false), false)
        .add(Z_LOG_VAR, DataTypes.createArrayType(DataTypes.FloatType, false), false);
    for (String name : options.keep()) {
      outputSchema = outputSchema.add(frame.schema().apply(name));
    }

    Broadcast<byte[]> modelZip = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(
        readAll(new Path(options.model(), ModelArtifact.MODEL_ZIP), hadoopConf));
    EncodePartition encode = new EncodePartition(artifact.info().modelSha256(), modelZip,
        new FeatureValidator(schema.featureCount(), artifact.info().vae().distribution()), schema.featureCount(),
        options.batchSize(), options.keep().size());
    String staging = AtomicDirectory.staging(options.output());
    try {
      spark.sparkContext().setJobDescription("encode: " + options.input() + " to " + options.output());
      frame.mapPartitions(encode, Encoders.row(outputSchema)).write().parquet(staging);
      AtomicDirectory.commit(staging, options.output(), hadoopConf);
    } finally {
      AtomicDirectory.discard(staging, hadoopConf);
      modelZip.destroy();
    }
    long rows = spark.read().parquet(options.output()).count();
    LOG.info("encode: wrote {} rows of latent size {} to {}", rows, latentSize, options.output());
    return new Result(options.output(), rows, latentSize);
  }

  private static byte[] readAll(Path file, Configuration hadoopConf) throws IOException {
    try (InputStream in = file.getFileSystem(hadoopConf).open(file)) {
      return in.readAllBytes();
    }
  }

  /** Encodes one partition lazily, batch by batch. Input rows: id, features, source_file, kept columns. */
  static final class EncodePartition implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private static final int FIRST_KEPT = 3;

    private final String modelSha256;
    private final Broadcast<byte[]> modelZip;
    private final FeatureValidator validator;
    private final int featureCount;
    private final int batchSize;
    private final int kept;

    EncodePartition(String modelSha256, Broadcast<byte[]> modelZip, FeatureValidator validator, int featureCount,
        int batchSize, int kept) {
      this.modelSha256 = modelSha256;
      this.modelZip = modelZip;
      this.validator = validator;
      this.featureCount = featureCount;
      this.batchSize = batchSize;
      this.kept = kept;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      VaeModel model = ExecutorModels.get(modelSha256, modelZip);
      FeatureBatcher batcher = new FeatureBatcher(batchSize, featureCount);
      List<Row> inputs = new ArrayList<>(batchSize);
      int latent = model.latentSize();
      return new Iterator<>() {
        private float[] joint;
        private int next;

        @Override
        public boolean hasNext() {
          return next < inputs.size() || rows.hasNext();
        }

        @Override
        public Row next() {
          if (next == inputs.size()) {
            fill();
          }
          Row input = inputs.get(next);
          int offset = next * 2 * latent;
          next++;
          Object[] values = new Object[3 + kept];
          values[0] = input.getLong(0);
          values[1] = Arrays.copyOfRange(joint, offset, offset + latent);
          values[2] = Arrays.copyOfRange(joint, offset + latent, offset + 2 * latent);
          for (int k = 0; k < kept; k++) {
            values[3 + k] = input.get(FIRST_KEPT + k);
          }
          return RowFactory.create(values);
        }

        private void fill() {
          inputs.clear();
          next = 0;
          while (rows.hasNext() && inputs.size() < batchSize) {
            Row row = rows.next();
            batcher.add(Minibatches.features(row, validator));
            inputs.add(row);
          }
          if (inputs.isEmpty()) {
            throw new NoSuchElementException();
          }
          INDArray batch = model.encodeJoint(batcher.take());
          joint = batch.dup('c').data().asFloat();
        }
      };
    }
  }
}
