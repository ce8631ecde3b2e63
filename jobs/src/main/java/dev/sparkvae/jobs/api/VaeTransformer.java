package dev.sparkvae.jobs.api;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.col;

import dev.sparkvae.jobs.spark.FeatureFrames;
import dev.sparkvae.jobs.spark.FeatureRows;
import dev.sparkvae.jobs.spark.RowCounters;
import dev.sparkvae.jobs.spark.RowScoring;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.engine.EncoderEngines;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * A trained VAE as a Spark ML {@link Transformer}: appends its outputs to any {@code Dataset<Row>} with an id column
 * and a numeric array feature column, so it composes with users' own Spark code.
 *
 * <pre>{@code
 * VaeTransformer vae = VaeTransformer.load(spark, "hdfs:///models/fmnist");
 * Dataset<Row> encoded = vae.setOutputCols("z_mean", "z_log_var").transform(df);
 * }</pre>
 *
 * <p>Params (defaults): {@code idCol} ("id", any integer type), {@code featuresCol} ("features", array of numbers),
 * {@code outputCols} (z_mean, z_log_var; any of {@link RowScoring#OUTPUTS}), {@code batchSize} (1024 rows per
 * forward pass), {@code samples} (16 importance samples for log_prob and negative_elbo), {@code anomalyThreshold}
 * (the model's recorded threshold, NaN when none), {@code engine} and {@code engineThreads} (onnxruntime, 1 native
 * thread per task: the engine of every output), {@code skipBadRows} (false),
 * {@code vectorOutput} (false: z_mean and z_log_var as array&lt;float&gt;; true: as Spark ML {@code Vector}s, ready
 * for KMeans, PCA or LSH). Rows are validated against the model's feature schema; a bad row fails the job naming
 * file, id and rule, or is left out with {@code skipBadRows}. Danger: the model's bytes are broadcast at every
 * transform.
 */
public final class VaeTransformer extends Transformer {
  private static final long serialVersionUID = 1L;
  private static final String TMP_FEATURES = "__sparkvae_features";
  private static final ArrayType FLOAT_ARRAY = DataTypes.createArrayType(DataTypes.FloatType);

  private final String uid;
  private final ModelInfo info;
  private final byte[] modelZip;

  // Spark ML finds params through public no-argument methods; they need the uid, so they are made after it.
  private final Param<String> idCol;
  private final Param<String> featuresCol;
  private final StringArrayParam outputCols;
  private final IntParam batchSize;
  private final IntParam samples;
  private final DoubleParam anomalyThreshold;
  private final Param<String> engine;
  private final IntParam engineThreads;
  private final BooleanParam skipBadRows;
  private final BooleanParam vectorOutput;

  private VaeTransformer(String uid, ModelInfo info, byte[] modelZip) {
    this.uid = uid;
    this.info = info;
    this.modelZip = modelZip;
    idCol = new Param<>(this, "idCol", "integer id column");
    featuresCol = new Param<>(this, "featuresCol", "array column of the features");
    outputCols = new StringArrayParam(this, "outputCols", "outputs to append");
    batchSize = new IntParam(this, "batchSize", "rows per forward pass");
    samples = new IntParam(this, "samples", "importance samples for log_prob");
    anomalyThreshold = new DoubleParam(this, "anomalyThreshold", "reconstruction error above which is_anomaly is true");
    engine = new Param<>(this, "engine", "inference engine: onnxruntime or nd4j");
    engineThreads = new IntParam(this, "engineThreads", "native threads of the inference engine per task");
    skipBadRows = new BooleanParam(this, "skipBadRows", "leave out rows that fail validation instead of failing");
    vectorOutput = new BooleanParam(this, "vectorOutput", "z_mean and z_log_var as Spark ML vectors, not arrays");
    setDefault(idCol, info.featureSchema().idColumn());
    setDefault(featuresCol, "features");
    setDefault(outputCols, new String[] {RowScoring.Z_MEAN, RowScoring.Z_LOG_VAR});
    setDefault(batchSize, 1024);
    setDefault(samples, 16);
    setDefault(anomalyThreshold, info.anomalyThreshold() == null ? Double.NaN : info.anomalyThreshold());
    setDefault(engine, EncoderEngines.ONNXRUNTIME);
    setDefault(engineThreads, 1);
    setDefault(skipBadRows, false);
    setDefault(vectorOutput, false);
  }

  /** Loads a model directory (any Hadoop path; checksum verified). */
  public static VaeTransformer load(SparkSession spark, String modelDir) throws IOException {
    ModelArtifact.Verified files = ModelArtifact.readVerified(modelDir, spark.sparkContext().hadoopConfiguration());
    return new VaeTransformer("vae_" + UUID.randomUUID().toString().substring(0, 12), files.info(),
        files.modelZip());
  }


  /** What the model records about itself. */
  public ModelInfo info() {
    return info;
  }

  public Param<String> idCol() {
    return idCol;
  }

  public Param<String> featuresCol() {
    return featuresCol;
  }

  public StringArrayParam outputCols() {
    return outputCols;
  }

  public IntParam batchSize() {
    return batchSize;
  }

  public IntParam samples() {
    return samples;
  }

  public DoubleParam anomalyThreshold() {
    return anomalyThreshold;
  }

  public Param<String> engine() {
    return engine;
  }

  public IntParam engineThreads() {
    return engineThreads;
  }

  public BooleanParam skipBadRows() {
    return skipBadRows;
  }

  public BooleanParam vectorOutput() {
    return vectorOutput;
  }

  /** The anomaly threshold in force (set, or the model's). */
  public double threshold() {
    return (Double) getOrDefault(anomalyThreshold);
  }

  public VaeTransformer setIdCol(String value) {
    set(idCol, value);
    return this;
  }

  public VaeTransformer setFeaturesCol(String value) {
    set(featuresCol, value);
    return this;
  }

  public VaeTransformer setOutputCols(String... value) {
    set(outputCols, value);
    return this;
  }

  public VaeTransformer setBatchSize(int value) {
    set(batchSize, value);
    return this;
  }

  public VaeTransformer setSamples(int value) {
    set(samples, value);
    return this;
  }

  /** The inference engine ({@code onnxruntime} or {@code nd4j}) and its native threads per task. */
  public VaeTransformer setEngine(String name, int threads) {
    set(engine, name);
    set(engineThreads, threads);
    return this;
  }

  /** Leave out rows that fail validation (counted) instead of failing the job (the default). */
  public VaeTransformer setSkipBadRows(boolean value) {
    set(skipBadRows, value);
    return this;
  }

  /** True: z_mean and z_log_var as Spark ML {@code Vector} (VectorUDT) columns instead of array&lt;float&gt;. */
  public VaeTransformer setVectorOutput(boolean value) {
    set(vectorOutput, value);
    return this;
  }

  public VaeTransformer setAnomalyThreshold(double value) {
    set(anomalyThreshold, value);
    return this;
  }

  private String[] outputs() {
    return getOrDefault(outputCols);
  }

  private int intParam(IntParam param) {
    return (Integer) getOrDefault(param);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public StructType transformSchema(StructType schema) {
    checkParams();
    List<String> names = Arrays.asList(schema.fieldNames());
    String id = getOrDefault(idCol);
    String features = getOrDefault(featuresCol);
    if (!names.contains(id) || !FeatureFrames.ID_TYPES.contains(schema.apply(id).dataType())) {
      throw new IllegalArgumentException("Cannot transform: idCol " + id + " must be an integer or string column; "
          + "columns are " + schema.simpleString());
    }
    if (!names.contains(features)) {
      throw new IllegalArgumentException("Cannot transform: featuresCol " + features + " is not a column; columns "
          + "are " + schema.simpleString());
    }
    if (!textFeatures(schema)) {
      featuresColumn(schema);
    }
    StructType result = schema;
    for (String output : outputs()) {
      if (names.contains(output)) {
        throw new IllegalArgumentException("Cannot transform: the input already has a column " + output);
      }
      result = result.add(isVector(output) ? DataTypes.createStructField(output, SQLDataTypes.VectorType(), false)
          : RowScoring.field(output));
    }
    return result;
  }

  /** The features column as array&lt;float&gt;; IllegalArgumentException naming its type and the types accepted. */
  private Column featuresColumn(StructType schema) {
    String name = getOrDefault(featuresCol);
    try {
      return FeatureFrames.featuresOf(name, schema.apply(name).dataType(), "the dataset");
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Text fields of the model's named feature columns (CSV), parsed by the model rather than cast. */
  private boolean textFeatures(StructType schema) {
    return FeatureRows.isText(schema, getOrDefault(featuresCol)) && !info.featureSchema().featureColumns().isEmpty();
  }

  /** Whether {@code output} is written as a Spark ML vector. */
  private boolean isVector(String output) {
    return (Boolean) getOrDefault(vectorOutput) && (output.equals(RowScoring.Z_MEAN)
        || output.equals(RowScoring.Z_LOG_VAR));
  }

  private void checkParams() {
    if (intParam(batchSize) <= 0) {
      throw new IllegalArgumentException("Cannot set batchSize to " + intParam(batchSize) + ": it must be positive");
    }
    if (!EncoderEngines.NAMES.contains(getOrDefault(engine)) || intParam(engineThreads) <= 0) {
      throw new IllegalArgumentException(String.format("Cannot use encoder engine %s with %d threads: the engine "
          + "must be one of %s and the threads positive", getOrDefault(engine), intParam(engineThreads),
          EncoderEngines.NAMES));
    }
    if (intParam(samples) <= 0) {
      throw new IllegalArgumentException("Cannot set samples to " + intParam(samples) + ": it must be positive");
    }
    if (Arrays.asList(outputs()).contains(RowScoring.IS_ANOMALY) && Double.isNaN(threshold())) {
      throw new IllegalArgumentException(
          "Cannot compute is_anomaly: the model records no anomaly threshold; set anomalyThreshold");
    }
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
    return transformKeeping(dataset, RowCounters.register(dataset.sparkSession().sparkContext(), uid), keep);
  }

  /**
   * As {@link #transformKeeping(Dataset, String...)}, counting the rows read and the bad rows left out (with
   * {@code skipBadRows}) into {@code counters} as the result is computed.
   */
  public Dataset<Row> transformKeeping(Dataset<?> dataset, RowCounters counters, String... keep) {
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
    String id = getOrDefault(idCol);
    String features = getOrDefault(featuresCol);
    if (!textFeatures(prepared.schema()) && !prepared.schema().apply(features).dataType().sameType(FLOAT_ARRAY)) {
      prepared = prepared.withColumn(TMP_FEATURES, featuresColumn(prepared.schema()));
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
    for (String output : outputs()) {
      scoredSchema = scoredSchema.add(RowScoring.field(output));
    }
    SparkSession spark = dataset.sparkSession();
    Broadcast<byte[]> zip = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(modelZip);
    DataType[] types = Arrays.stream(preparedSchema.fields()).map(StructField::dataType).toArray(DataType[]::new);
    FeatureRows rows = FeatureRows.of(preparedSchema, id, features, getOrDefault(featuresCol), info.featureSchema(),
        info.vae().distribution());
    RowScoring scoring = new RowScoring(info.modelSha256(), zip, rows, types, carried,
        new RowScoring.Request(Arrays.asList(outputs()), intParam(batchSize), intParam(samples), threshold(),
            getOrDefault(engine), intParam(engineThreads), (Boolean) getOrDefault(skipBadRows)),
        counters);
    JavaRDD<InternalRow> scored = prepared.queryExecution().toRdd().toJavaRDD().mapPartitions(scoring);
    Dataset<Row> result = spark.internalCreateDataFrame(scored.rdd(), scoredSchema, false);
    for (String output : outputs()) {
      if (isVector(output)) {
        result = result.withColumn(output, array_to_vector(col(output)));
      }
    }
    return result;
  }

  @Override
  public VaeTransformer copy(ParamMap extra) {
    return copyValues(new VaeTransformer(uid, info, modelZip), extra);
  }

  /** The field for an output column (for callers building schemas). */
  public static StructField outputField(String output) {
    return RowScoring.field(output);
  }
}
