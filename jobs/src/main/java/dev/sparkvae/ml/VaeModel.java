package dev.sparkvae.ml;

import dev.sparkvae.cluster.CpuNatives;
import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.col;

import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.input.RowCounters;
import dev.sparkvae.rows.InternalRows;
import dev.sparkvae.rows.RowReader;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.scoring.RowScoring;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import scala.Option;

/**
 * A trained VAE as a Spark ML {@link Model}: appends its outputs to any {@code Dataset<Row>} with an id column and
 * a features column, so it composes with users' own Spark code and pipelines.
 *
 * <pre>{@code
 * VaeModel vae = VaeModel.load("hdfs:///models/fmnist");          // a train job's model directory, or saved here
 * Dataset<Row> encoded = vae.setOutputCols("z_mean", "z_log_var").transform(df);
 * }</pre>
 *
 * <p>Params: those of {@link VaeScoringParams} (the id column defaults to the one trained on) and
 * {@code anomalyThreshold} (the model's recorded threshold, NaN when none): is_anomaly is true when the row's
 * anomaly_score is above it (its reconstruction_error, for a model whose model.json records no anomaly score). Rows are
 * validated against the model's feature schema; a bad row fails the job naming file, id and rule, or is left out with
 * {@code skipBadRows}. Features are taken in the units trained on: the model's scaling is folded into its network.
 *
 * <p>Persistence: {@link #write()} saves the params (Spark ML's metadata) and the model directory under
 * {@code data/}; {@link #load} reads that or a model directory written by the {@code train} job, verifying the
 * checksum. Danger: the model's bytes are broadcast at every transform.
 */
public final class VaeModel extends Model<VaeModel> implements VaeScoringParams<VaeModel>, MLWritable {
  static {
    // In the user's own JVM: before the stage loads ND4J.
    CpuNatives.chooseForThisProcess();
  }

  private static final long serialVersionUID = 1L;
  /** Every output {@code outputCols} may name, in the order of {@link #transform}'s columns when all are asked. */
  public static final List<String> OUTPUTS = RowScoring.OUTPUTS;
  private static final String DATA = "data";
  private static final String TMP_FEATURES = "__sparkvae_features";
  private static final ArrayType FLOAT_ARRAY = DataTypes.createArrayType(DataTypes.FloatType);

  private final String uid;
  private final ModelArtifact.Verified files;
  private final DoubleParam anomalyThreshold;

  VaeModel(String uid, ModelArtifact.Verified files) {
    this.uid = uid;
    this.files = files;
    ModelInfo info = files.info();
    anomalyThreshold = new DoubleParam(this, "anomalyThreshold", "the " + info.thresholdScore()
        + " (nats) above which is_anomaly is true");
    VaeScoringParams.setScoringDefaults(this, info.featureSchema().idColumn());
    setDefault(anomalyThreshold, info.anomalyThreshold() == null ? Double.NaN : info.anomalyThreshold());
  }

  /**
   * Loads a model: a directory written by {@link #write()} (alone or inside a saved {@code PipelineModel}) or a model
   * directory written by the {@code train} job; any Hadoop path, checksum verified.
   *
   * @throws UncheckedIOException naming the directory and the problem
   */
  public static VaeModel load(String path) {
    return read().load(path);
  }

  /** The reader of {@link #load}. */
  public static MLReader<VaeModel> read() {
    return new MLReader<>() {
      @Override
      public VaeModel load(String path) {
        var conf = sparkSession().sparkContext().hadoopConfiguration();
        try {
          boolean saved = new Path(path, "metadata").getFileSystem(conf).exists(new Path(path, "metadata"));
          if (!saved) {
            return new VaeModel("vae_" + UUID.randomUUID().toString().substring(0, 12),
                ModelArtifact.readVerified(path, conf));
          }
          DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(path, sc(),
              VaeModel.class.getName());
          VaeModel model = new VaeModel(metadata.uid(), ModelArtifact.readVerified(path + "/" + DATA, conf));
          metadata.getAndSetParams(model, Option.empty());
          return model;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  @Override
  public MLWriter write() {
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        DefaultParamsWriter.saveMetadata(VaeModel.this, path, sc(), Option.empty(), Option.empty());
        try {
          files.save(path + "/" + DATA, sc().hadoopConfiguration(), shouldOverwrite());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
  }

  public DoubleParam anomalyThreshold() {
    return anomalyThreshold;
  }

  /** The anomaly threshold in force (set, or the model's). */
  public double getAnomalyThreshold() {
    return (Double) getOrDefault(anomalyThreshold);
  }

  /** The content of the model's {@code model.json}: feature schema, network, scaling, threshold, provenance. */
  public String modelJson() {
    try {
      return JsonFiles.MAPPER.writeValueAsString(files.info());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The dimension of z. */
  public int latentSize() {
    return files.info().vae().latentSize();
  }

  /** The number of features a row must have. */
  public int featureCount() {
    return files.info().featureSchema().featureCount();
  }

  public VaeModel setAnomalyThreshold(double value) {
    set(anomalyThreshold, value);
    return this;
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    if (Arrays.asList(getOutputCols()).contains(RowScoring.IS_ANOMALY) && Double.isNaN(getAnomalyThreshold())) {
      throw new IllegalArgumentException(
          "Cannot compute is_anomaly: the model records no anomaly threshold; set anomalyThreshold");
    }
    String attribution = BatchScorer.attributionProblem(getAttributionFeatures(), featureCount());
    if (attribution != null) {
      throw new IllegalArgumentException("Cannot set param attributionFeatures to " + getAttributionFeatures() + ": "
          + attribution);
    }
    return ScoringSchema.withOutputs(this, schema, textFeatures(schema));
  }

  /** Text fields of the model's named feature columns (CSV), parsed by the model rather than cast. */
  private boolean textFeatures(StructType schema) {
    return RowReader.isText(schema, getFeaturesCol()) && !files.info().featureSchema().featureColumns().isEmpty();
  }

  /** The input with the outputs appended (all input columns kept). */
  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    return transformKeeping(dataset, dataset.columns());
  }

  /**
   * The named input columns followed by the outputs: what {@code transform(dataset).select(keep..., outputs...)}
   * gives, but faster when the features are not kept, because Spark cannot prune columns through the model and
   * would otherwise carry the wide feature arrays through it.
   *
   * @throws IllegalArgumentException when a kept column does not exist, or as {@link #transformSchema}
   */
  public Dataset<Row> transformKeeping(Dataset<?> dataset, String... keep) {
    var sc = dataset.sparkSession().sparkContext();
    return transformKeeping(dataset, sc.longAccumulator(uid + ": rows read"), sc.longAccumulator(uid + ": bad rows"),
        keep);
  }

  /**
   * As {@link #transformKeeping(Dataset, String...)}, adding the rows read and the bad rows left out (with
   * {@code skipBadRows}) to the two accumulators as the result is computed (exact in the stage that writes it).
   */
  public Dataset<Row> transformKeeping(Dataset<?> dataset, LongAccumulator rowsRead, LongAccumulator badRows,
      String... keep) {
    transformSchema(dataset.schema());
    List<String> names = Arrays.asList(dataset.columns());
    for (String name : keep) {
      if (!names.contains(name)) {
        throw new IllegalArgumentException("Cannot keep column " + name + ": the input has no such column; columns "
            + "are " + names);
      }
    }
    // The model reads the features as floats: converted into an extra column only when needed.
    Dataset<Row> prepared = dataset.toDF();
    String id = getIdCol();
    String features = getFeaturesCol();
    if (!textFeatures(prepared.schema()) && !prepared.schema().apply(features).dataType().sameType(FLOAT_ARRAY)) {
      prepared = prepared.withColumn(TMP_FEATURES, ScoringSchema.features(this, prepared.schema()));
      features = TMP_FEATURES;
    }
    // Read only what is needed, so that the scan prunes the rest.
    Set<String> needed = new LinkedHashSet<>(Arrays.asList(keep));
    needed.add(id);
    needed.add(features);
    prepared = prepared.select(needed.stream().map(functions::col).toArray(Column[]::new));
    StructType preparedSchema = prepared.schema();
    StructType scoredSchema = new StructType();
    int[] carried = new int[keep.length];
    for (int c = 0; c < keep.length; c++) {
      carried[c] = preparedSchema.fieldIndex(keep[c]);
      scoredSchema = scoredSchema.add(preparedSchema.fields()[carried[c]]);
    }
    for (String output : appendedColumns()) {
      scoredSchema = scoredSchema.add(RowScoring.field(output));
    }
    SparkSession spark = dataset.sparkSession();
    ModelInfo info = files.info();
    Broadcast<byte[]> zip = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(files.modelZip());
    DataType[] types = Arrays.stream(preparedSchema.fields()).map(StructField::dataType).toArray(DataType[]::new);
    RowReader rows = RowReader.of(preparedSchema, id, features, getFeaturesCol(), info.featureSchema(),
        info.vae().distribution());
    RowScoring scoring = new RowScoring(info.modelSha256(), zip, rows, types, carried,
        new RowScoring.Request(appendedColumns(), getBatchSize(), getSamples(), getAnomalyThreshold(),
            info.thresholdScore(), getEngine(), getEngineThreads(), getSkipBadRows(), getAttributionFeatures(),
            info.featureSchema().featureColumns()),
        RowCounters.of(rowsRead, badRows));
    Dataset<Row> result = InternalRows.frame(spark, InternalRows.of(prepared).mapPartitions(scoring), scoredSchema);
    for (String output : getOutputCols()) {
      if (ScoringSchema.isVector(this, output)) {
        result = result.withColumn(output, array_to_vector(col(output)));
      }
    }
    return result;
  }

  @Override
  public VaeModel copy(ParamMap extra) {
    VaeModel copy = copyValues(new VaeModel(uid, files), extra);
    return copy.setParent(parent());
  }
}
