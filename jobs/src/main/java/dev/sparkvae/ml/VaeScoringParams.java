package dev.sparkvae.ml;

import dev.sparkvae.config.Settings;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.scoring.RowScoring;
import java.util.Arrays;
import java.util.HashSet;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * The params of scoring with a VAE, shared by {@link VaeEstimator} (which hands them to the model it fits) and
 * {@link VaeModel}; each declared here once, with its validator, and its default set by {@link #setScoringDefaults}.
 *
 * <ul>
 *   <li>{@code idCol} ("id"): an integer or string column, carried to the outputs in its own type; seeds sampling.
 *   <li>{@code featuresCol} ("features"): an array of numbers or a Spark ML vector, in the units trained on.
 *   <li>{@code outputCols} (z_mean, z_log_var): any of {@link VaeModel#OUTPUTS}, in that order of choice.
 *   <li>{@code batchSize} (1024): rows per forward pass.
 *   <li>{@code samples} (16): importance samples for log_prob and negative_elbo.
 *   <li>{@code engine}, {@code engineThreads} ({@code inference.engine}, {@code inference.threads} of
 *       conf/defaults.conf): the inference engine of every output and its native threads per task.
 *   <li>{@code skipBadRows} (false): leave out rows that fail validation instead of failing the job.
 *   <li>{@code vectorOutput} (false): z_mean and z_log_var as Spark ML vectors instead of array&lt;float&gt;.
 * </ul>
 */
public interface VaeScoringParams extends Params {
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

  /** Sets the defaults of the scoring params on {@code owner}, with {@code idCol} defaulting to {@code idColumn}. */
  static void setScoringDefaults(VaeScoringParams owner, String idColumn) {
    Settings defaults = Settings.defaults();
    owner.setDefault(owner.idCol(), idColumn);
    owner.setDefault(owner.featuresCol(), "features");
    owner.setDefault(owner.outputCols(), new String[] {RowScoring.Z_MEAN, RowScoring.Z_LOG_VAR});
    owner.setDefault(owner.batchSize(), 1024);
    owner.setDefault(owner.samples(), 16);
    owner.setDefault(owner.engine(), defaults.string("inference.engine"));
    owner.setDefault(owner.engineThreads(), defaults.positiveInt("inference.threads"));
    owner.setDefault(owner.skipBadRows(), false);
    owner.setDefault(owner.vectorOutput(), false);
  }
}
