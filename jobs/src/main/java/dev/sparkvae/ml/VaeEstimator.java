package dev.sparkvae.ml;

import dev.sparkvae.cluster.CpuNatives;
import dev.sparkvae.config.DataSettings;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import dev.sparkvae.input.FeatureFrames;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.training.VaeTraining;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;

/**
 * Trains a VAE as a Spark ML {@link Estimator}: {@code fit} trains by parameter averaging, exactly as the
 * {@code train} job does, on the rows of a dataset with an id column and a features column (an array of numbers or a
 * Spark ML vector, e.g. a {@code VectorAssembler}'s output), and returns a {@link VaeModel} that carries the
 * estimator's scoring params.
 *
 * <pre>{@code
 * Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {
 *     new VectorAssembler().setInputCols(columns).setOutputCol("features"),
 *     new VaeEstimator().setDistribution("gaussian").setLatentSize(4).setEpochs(30)
 *         .setOutputCols("log_prob", "is_anomaly")});
 * PipelineModel fitted = pipeline.fit(train);
 * fitted.write().overwrite().save("hdfs:///models/tabular");
 * }</pre>
 *
 * <p>Params: those of {@link VaeScoringParams} and of {@link VaeTrainingParams}, each bound to its key of
 * {@code conf/defaults.conf}, which gives its default and its check (a bad value is refused when set, naming the
 * rule); and {@code settings}, {@code key=value} pairs for any other key of that file (e.g.
 * {@code train.eval-batch-size=500}). The held-out negative ELBO of every epoch is computed on
 * {@code validationFraction} of the rows, chosen by a seeded hash of the id. {@code fit} writes no plots and no
 * checkpoints (the {@code train} job does). Danger: the trained rows are cached in executor memory during
 * {@code fit}.
 */
public final class VaeEstimator extends Estimator<VaeModel>
    implements VaeScoringParams<VaeEstimator>, VaeTrainingParams, DefaultParamsWritable {
  static {
    // In the user's own JVM: before the stage loads ND4J.
    CpuNatives.chooseForThisProcess();
  }

  private static final long serialVersionUID = 1L;

  private final String uid;

  public VaeEstimator() {
    this("vae_" + UUID.randomUUID().toString().substring(0, 12));
  }

  /** An estimator with the given uid (Spark ML's persistence makes them so). */
  public VaeEstimator(String uid) {
    this.uid = uid;
    VaeTrainingParams.setTrainingDefaults(this);
    VaeScoringParams.setScoringDefaults(this, DataSettings.from(Settings.defaults()).idColumn());
  }

  /** The settings of a training run: the defaults, then the training params, then {@code settings}. */
  Settings trainingSettings() {
    List<String> pairs = new ArrayList<>();
    KEYS.forEach((name, key) -> pairs.add(key + "=" + ParamSettings.hocon(getOrDefault(getParam(name)))));
    pairs.add("data.format=parquet");
    pairs.add("data.id-column=" + ParamSettings.hocon(getIdCol()));
    pairs.add("data.features-column=" + ParamSettings.hocon(getFeaturesCol()));
    pairs.add("data.feature-columns=[]");
    pairs.add("data.label-column=\"\"");
    pairs.addAll(Arrays.asList(getSettings()));
    return Settings.load(null, null, pairs);
  }

  /**
   * Trains a model on the rows of {@code dataset}.
   *
   * @throws IllegalArgumentException for columns it cannot use or invalid settings
   * @throws UncheckedIOException when the dataset has no rows to train on
   * @throws dev.sparkvae.data.BadRowException (inside the Spark job) for a bad row, unless {@code skipBadRows}
   */
  @Override
  public VaeModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    Settings run = trainingSettings();
    try {
      Dataset<Row> frame = FeatureFrames.normalize(dataset.toDF(), functions.lit(""), DataSettings.from(run),
          "the dataset", List.of(), null);
      VaeTraining.Trained trained = new VaeTraining(dataset.sparkSession(), run, null)
          .train(new VaeTraining.Inputs(frame, "the dataset", null, getSkipBadRows(), false));
      VaeModel model = new VaeModel(uid, ModelArtifact.Verified.of(trained.info(), trained.network(),
          trained.metrics()));
      return copyValues(model, ParamMap.empty()).setParent(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InvalidSettingException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The input schema with the outputs the fitted model appends. */
  @Override
  public StructType transformSchema(StructType schema) {
    return ScoringSchema.withOutputs(this, schema, false);
  }

  @Override
  public String uid() {
    return uid;
  }

  @Override
  public VaeEstimator copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** The reader of {@link #load}. */
  public static MLReader<VaeEstimator> read() {
    return new DefaultParamsReader<>();
  }

  /** An estimator saved with {@code write().save(path)}. */
  public static VaeEstimator load(String path) {
    return read().load(path);
  }

  /** The training params and their settings keys, e.g. latentSize = vae.latent-size. */
  public String settingsKeys() {
    return KEYS.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", "));
  }

  public VaeEstimator setScaling(String value) {
    return with(scaling(), value);
  }

  public VaeEstimator setEncoderSizes(int... value) {
    return with(encoderSizes(), value);
  }

  public VaeEstimator setDecoderSizes(int... value) {
    return with(decoderSizes(), value);
  }

  public VaeEstimator setLatentSize(int value) {
    return with(latentSize(), value);
  }

  public VaeEstimator setActivation(String value) {
    return with(activation(), value);
  }

  public VaeEstimator setDistribution(String value) {
    return with(distribution(), value);
  }

  public VaeEstimator setEpochs(int value) {
    return with(epochs(), value);
  }

  public VaeEstimator setSeed(long value) {
    return with(seed(), value);
  }

  public VaeEstimator setUpdater(String value) {
    return with(updater(), value);
  }

  public VaeEstimator setLearningRate(double value) {
    return with(learningRate(), value);
  }

  public VaeEstimator setLearningRateScaling(String value) {
    return with(learningRateScaling(), value);
  }

  public VaeEstimator setL2(double value) {
    return with(l2(), value);
  }

  public VaeEstimator setBatchSizePerWorker(int value) {
    return with(batchSizePerWorker(), value);
  }

  public VaeEstimator setAveragingFrequency(int value) {
    return with(averagingFrequency(), value);
  }

  public VaeEstimator setOuterLearningRate(double value) {
    return with(outerLearningRate(), value);
  }

  public VaeEstimator setOuterMomentum(double value) {
    return with(outerMomentum(), value);
  }

  public VaeEstimator setWorkers(int value) {
    return with(workers(), value);
  }

  public VaeEstimator setValidationFraction(double value) {
    return with(validationFraction(), value);
  }

  public VaeEstimator setFalsePositiveRate(double value) {
    return with(falsePositiveRate(), value);
  }

  /** Any other settings of conf/defaults.conf, as {@code key=value} pairs (e.g. {@code train.l2=1e-4}). */
  public VaeEstimator setSettings(String... pairs) {
    return with(settings(), pairs);
  }

  private <T> VaeEstimator with(Param<T> param, T value) {
    set(param, value);
    return this;
  }
}
