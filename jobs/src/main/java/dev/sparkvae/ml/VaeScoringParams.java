package dev.sparkvae.ml;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.scoring.RowScoring;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * The params of scoring with a VAE, shared by {@link VaeEstimator} (which hands them to the model it fits) and
 * {@link VaeModel}; each declared here once, with its validator, its setter, and its default set by
 * {@link #setScoringDefaults}.
 *
 * <ul>
 *   <li>{@code idCol} ({@code data.id-column} of conf/defaults.conf; for a model, the column trained on): an integer
 *       or string column, carried to the outputs in its own type; seeds sampling.
 *   <li>{@code featuresCol} ({@code data.features-column}): an array of numbers or a Spark ML vector, in the units
 *       trained on.
 *   <li>{@code outputCols} (z_mean, z_log_var): any of {@link VaeModel#OUTPUTS}, in that order of choice.
 *   <li>{@code batchSize} ({@value #BATCH_SIZE_DEFAULT}): rows per forward pass.
 *   <li>{@code samples} ({@value #SAMPLES_DEFAULT}): importance samples for log_prob and negative_elbo.
 *   <li>{@code engine}, {@code engineThreads} ({@code inference.engine}, {@code inference.threads}): the inference
 *       engine of every output and its native threads per task.
 *   <li>{@code skipBadRows} (false): leave out rows that fail validation instead of failing the job.
 *   <li>{@code vectorOutput} (false): z_mean and z_log_var as Spark ML vectors instead of array&lt;float&gt;.
 *   <li>{@code attributionFeatures} (0 = none): K &gt; 0 appends the column {@value RowScoring#ATTRIBUTION}, the K
 *       features contributing most to each row's anomaly_score ({@link RowScoring#attributionType()}); at most the
 *       model's feature count, checked with the schema. Runs the decoder, as any score does.
 * </ul>
 *
 * @param <T> the estimator or model, which the setters return
 */
public interface VaeScoringParams<T extends VaeScoringParams<T>> extends Params {
  /** The default of {@code batchSize}, and of {@code encode --batch-size}. */
  int BATCH_SIZE_DEFAULT = 1024;
  /** The default of {@code samples}, and of {@code reconstruct} and {@code evaluate --samples}. */
  int SAMPLES_DEFAULT = 16;

  default Param<String> idCol() {
    return new Param<>(this, "idCol", "id column (integer or string), carried to the outputs",
        ParamRule.of("idCol", (String v) -> v.isBlank() ? "the value must be a column name" : null));
  }

  default Param<String> featuresCol() {
    return new Param<>(this, "featuresCol", "features column: an array of numbers or a Spark ML vector",
        ParamRule.of("featuresCol", (String v) -> v.isBlank() ? "the value must be a column name" : null));
  }

  default StringArrayParam outputCols() {
    return new StringArrayParam(this, "outputCols", "outputs to append, any of " + VaeModel.OUTPUTS,
        ParamRule.of("outputCols", (String[] v) -> v.length == 0 ? "name at least one output"
            : !VaeModel.OUTPUTS.containsAll(Arrays.asList(v)) ? "each output must be one of " + VaeModel.OUTPUTS
            : new HashSet<>(Arrays.asList(v)).size() < v.length ? "an output may be named once" : null));
  }

  default IntParam batchSize() {
    return new IntParam(this, "batchSize", "rows per forward pass", ParamRule.positive("batchSize"));
  }

  default IntParam samples() {
    return new IntParam(this, "samples", "importance samples for log_prob and negative_elbo",
        ParamRule.positive("samples"));
  }

  default Param<String> engine() {
    return new Param<>(this, "engine", "inference engine: " + String.join(" or ", InferenceEngines.NAMES),
        ParamRule.of("engine", (String v) -> InferenceEngines.NAMES.contains(v) ? null
            : "the value must be one of " + String.join(", ", InferenceEngines.NAMES)));
  }

  default IntParam engineThreads() {
    return new IntParam(this, "engineThreads", "native threads of the inference engine per task",
        ParamRule.positive("engineThreads"));
  }

  default BooleanParam skipBadRows() {
    return new BooleanParam(this, "skipBadRows", "leave out rows that fail validation instead of failing");
  }

  default BooleanParam vectorOutput() {
    return new BooleanParam(this, "vectorOutput", "z_mean and z_log_var as Spark ML vectors, not arrays");
  }

  default IntParam attributionFeatures() {
    return new IntParam(this, "attributionFeatures", "features per row in the attribution column (0 = none)",
        ParamRule.of("attributionFeatures", v -> ((Integer) v) < 0 ? "the value must be 0 (none) or more" : null));
  }

  default String getIdCol() {
    return getOrDefault(idCol());
  }

  default String getFeaturesCol() {
    return getOrDefault(featuresCol());
  }

  default String[] getOutputCols() {
    return getOrDefault(outputCols());
  }

  default int getBatchSize() {
    return (Integer) getOrDefault(batchSize());
  }

  default int getSamples() {
    return (Integer) getOrDefault(samples());
  }

  default String getEngine() {
    return getOrDefault(engine());
  }

  default int getEngineThreads() {
    return (Integer) getOrDefault(engineThreads());
  }

  default boolean getSkipBadRows() {
    return (Boolean) getOrDefault(skipBadRows());
  }

  default boolean getVectorOutput() {
    return (Boolean) getOrDefault(vectorOutput());
  }

  default int getAttributionFeatures() {
    return (Integer) getOrDefault(attributionFeatures());
  }

  /** The columns a transform appends: {@code outputCols}, then the attribution when {@code attributionFeatures > 0}. */
  default List<String> appendedColumns() {
    List<String> columns = new ArrayList<>(Arrays.asList(getOutputCols()));
    if (getAttributionFeatures() > 0) {
      columns.add(RowScoring.ATTRIBUTION);
    }
    return columns;
  }

  default T setIdCol(String value) {
    return with(idCol(), value);
  }

  default T setFeaturesCol(String value) {
    return with(featuresCol(), value);
  }

  default T setOutputCols(String... value) {
    return with(outputCols(), value);
  }

  default T setBatchSize(int value) {
    return with(batchSize(), value);
  }

  default T setSamples(int value) {
    return with(samples(), value);
  }

  /** The inference engine ({@code onnxruntime} or {@code nd4j}) and its native threads per task. */
  default T setEngine(String name, int threads) {
    with(engine(), name);
    return with(engineThreads(), threads);
  }

  /** Leave out rows that fail validation (counted) instead of failing the job (the default). */
  default T setSkipBadRows(boolean value) {
    return with(skipBadRows(), value);
  }

  /** True: z_mean and z_log_var as Spark ML {@code Vector} (VectorUDT) columns instead of array&lt;float&gt;. */
  default T setVectorOutput(boolean value) {
    return with(vectorOutput(), value);
  }

  /** Appends the K features contributing most to each row's anomaly_score (0, the default: none). */
  default T setAttributionFeatures(int value) {
    return with(attributionFeatures(), value);
  }

  /** Sets {@code param} to {@code value}; returns the estimator or model. */
  @SuppressWarnings("unchecked")
  private <V> T with(Param<V> param, V value) {
    set(param, value);
    return (T) this;
  }

  /** Sets the defaults of the scoring params on {@code owner}, with {@code idCol} defaulting to {@code idColumn}. */
  static void setScoringDefaults(VaeScoringParams<?> owner, String idColumn) {
    InferenceSettings inference = InferenceSettings.defaults();
    owner.setDefault(owner.idCol(), idColumn);
    owner.setDefault(owner.featuresCol(), DataSettings.from(Settings.defaults()).featuresColumn());
    owner.setDefault(owner.outputCols(), new String[] {RowScoring.Z_MEAN, RowScoring.Z_LOG_VAR});
    owner.setDefault(owner.batchSize(), BATCH_SIZE_DEFAULT);
    owner.setDefault(owner.samples(), SAMPLES_DEFAULT);
    owner.setDefault(owner.engine(), inference.engine());
    owner.setDefault(owner.engineThreads(), inference.threads());
    owner.setDefault(owner.skipBadRows(), false);
    owner.setDefault(owner.vectorOutput(), false);
    owner.setDefault(owner.attributionFeatures(), 0);
  }
}
