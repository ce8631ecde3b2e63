package dev.sparkvae.ml;

import dev.sparkvae.config.CheckpointSettings;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.StringArrayParam;
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
 * <p>Params: those of {@link VaeScoringParams}; the training params below, each bound to its key of
 * {@code conf/defaults.conf}, which gives its default and its check (a bad value is refused when set, naming the
 * rule); and {@code settings}, {@code key=value} pairs for any other key of that file (e.g.
 * {@code train.eval-batch-size=500}). The held-out negative ELBO of every epoch is computed on
 * {@code validationFraction} of the rows, chosen by a seeded hash of the id. {@code fit} writes no plots and no
 * checkpoints (the {@code train} job does). Danger: the trained rows are cached in executor memory during
 * {@code fit}.
 */
public final class VaeEstimator extends Estimator<VaeModel> implements VaeScoringParams, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  /** The key of conf/defaults.conf behind each training param, by param name. */
  private final Map<String, String> keys = new LinkedHashMap<>();
  private final Param<String> scaling;
  private final IntArrayParam encoderSizes;
  private final IntArrayParam decoderSizes;
  private final IntParam latentSize;
  private final Param<String> activation;
  private final Param<String> distribution;
  private final IntParam epochs;
  private final LongParam seed;
  private final Param<String> updater;
  private final DoubleParam learningRate;
  private final DoubleParam l2;
  private final IntParam batchSizePerWorker;
  private final IntParam averagingFrequency;
  private final IntParam workers;
  private final DoubleParam validationFraction;
  private final DoubleParam falsePositiveRate;
  private final StringArrayParam settings;

  public VaeEstimator() {
    this("vae_" + UUID.randomUUID().toString().substring(0, 12));
  }

  /** An estimator with the given uid (Spark ML's persistence makes them so). */
  public VaeEstimator(String uid) {
    this.uid = uid;
    scaling = bound(new Param<>(this, "scaling", "feature scaling: auto, none, standardize or min-max",
        rule("scaling", "data.scaling")), "data.scaling");
    encoderSizes = bound(new IntArrayParam(this, "encoderSizes", "hidden layer widths of the encoder",
        rule("encoderSizes", "vae.encoder-sizes")), "vae.encoder-sizes");
    decoderSizes = bound(new IntArrayParam(this, "decoderSizes", "hidden layer widths of the decoder",
        rule("decoderSizes", "vae.decoder-sizes")), "vae.decoder-sizes");
    latentSize = bound(new IntParam(this, "latentSize", "dimension of z", rule("latentSize", "vae.latent-size")),
        "vae.latent-size");
    activation = bound(new Param<>(this, "activation", "hidden activation", rule("activation", "vae.activation")),
        "vae.activation");
    distribution = bound(new Param<>(this, "distribution", "p(x|z): bernoulli (data in [0, 1]) or gaussian",
        rule("distribution", "vae.distribution")), "vae.distribution");
    epochs = bound(new IntParam(this, "epochs", "passes over the rows", rule("epochs", "train.epochs")),
        "train.epochs");
    seed = bound(new LongParam(this, "seed", "seeds initialisation, shuffling, noise and the held-out split",
        rule("seed", "train.seed")), "train.seed");
    updater = bound(new Param<>(this, "updater", "adam, sgd, nesterovs, rmsprop or adagrad",
        rule("updater", "train.updater")), "train.updater");
    learningRate = bound(new DoubleParam(this, "learningRate", "the updater's learning rate",
        rule("learningRate", "train.learning-rate")), "train.learning-rate");
    l2 = bound(new DoubleParam(this, "l2", "L2 weight decay", rule("l2", "train.l2")), "train.l2");
    batchSizePerWorker = bound(new IntParam(this, "batchSizePerWorker", "examples in one worker minibatch",
        rule("batchSizePerWorker", "train.batch-size-per-worker")), "train.batch-size-per-worker");
    averagingFrequency = bound(new IntParam(this, "averagingFrequency",
        "minibatches each worker fits between two averaging rounds",
        rule("averagingFrequency", "train.averaging-frequency")), "train.averaging-frequency");
    workers = bound(new IntParam(this, "workers", "parallel workers; 0 = Spark's default parallelism",
        rule("workers", "train.workers")), "train.workers");
    validationFraction = bound(new DoubleParam(this, "validationFraction",
        "share of the rows held out for the held-out negative ELBO",
        rule("validationFraction", "train.validation-fraction")), "train.validation-fraction");
    falsePositiveRate = bound(new DoubleParam(this, "falsePositiveRate",
        "share of the held-out rows above the anomaly threshold the model records",
        rule("falsePositiveRate", "anomaly.false-positive-rate")), "anomaly.false-positive-rate");
    settings = new StringArrayParam(this, "settings", "key=value settings of conf/defaults.conf",
        ParamRule.of("settings", (String[] pairs) -> problem(Arrays.asList(pairs))));
    setDefault(settings, new String[0]);
    VaeScoringParams.setScoringDefaults(this, "id");
  }

  /** Binds {@code param} to the setting {@code key}: its default is the key's in conf/defaults.conf. */
  @SuppressWarnings("unchecked")
  private <P extends Param<?>> P bound(P param, String key) {
    keys.put(param.name(), key);
    Object value = Settings.defaults().config().getAnyRef(key);
    setDefault((Param<Object>) param, value instanceof List<?> list
        ? list.stream().mapToInt(item -> (Integer) item).toArray()
        : param instanceof LongParam ? ((Number) value).longValue()
        : param instanceof DoubleParam ? ((Number) value).doubleValue() : value);
    return param;
  }

  private static <T> ParamRule<T> rule(String param, String key) {
    return ParamRule.of(param, (T value) -> problem(List.of(key + "=" + hocon(value))));
  }

  /** What the settings make of {@code pairs} (key=value), or null when every setting of a training run is valid. */
  private static String problem(List<String> pairs) {
    try {
      Settings checked = Settings.load(null, null, pairs);
      VaeTraining.Recipe.from(checked);
      CheckpointSettings.from(checked);
      return null;
    } catch (InvalidSettingException e) {
      return e.getMessage();
    }
  }

  /** A param value as a HOCON value. */
  private static String hocon(Object value) {
    if (value instanceof int[] ints) {
      return Arrays.toString(ints);
    }
    return value instanceof String text ? "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
        : String.valueOf(value);
  }

  /** The settings of a training run: the defaults, then the training params, then {@code settings}. */
  Settings trainingSettings() {
    List<String> pairs = new ArrayList<>();
    keys.forEach((name, key) -> pairs.add(key + "=" + hocon(getOrDefault(getParam(name)))));
    pairs.add("data.format=parquet");
    pairs.add("data.id-column=" + hocon(getIdCol()));
    pairs.add("data.features-column=" + hocon(getFeaturesCol()));
    pairs.add("data.feature-columns=[]");
    pairs.add("data.label-column=\"\"");
    pairs.addAll(Arrays.asList(getOrDefault(settings)));
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
    return keys.entrySet().stream().map(e -> e.getKey() + " = " + e.getValue()).collect(Collectors.joining(", "));
  }

  public Param<String> scaling() {
    return scaling;
  }

  public IntArrayParam encoderSizes() {
    return encoderSizes;
  }

  public IntArrayParam decoderSizes() {
    return decoderSizes;
  }

  public IntParam latentSize() {
    return latentSize;
  }

  public Param<String> activation() {
    return activation;
  }

  public Param<String> distribution() {
    return distribution;
  }

  public IntParam epochs() {
    return epochs;
  }

  public LongParam seed() {
    return seed;
  }

  public Param<String> updater() {
    return updater;
  }

  public DoubleParam learningRate() {
    return learningRate;
  }

  public DoubleParam l2() {
    return l2;
  }

  public IntParam batchSizePerWorker() {
    return batchSizePerWorker;
  }

  public IntParam averagingFrequency() {
    return averagingFrequency;
  }

  public IntParam workers() {
    return workers;
  }

  public DoubleParam validationFraction() {
    return validationFraction;
  }

  public DoubleParam falsePositiveRate() {
    return falsePositiveRate;
  }

  public StringArrayParam settings() {
    return settings;
  }

  public String getScaling() {
    return getOrDefault(scaling);
  }

  public int[] getEncoderSizes() {
    return getOrDefault(encoderSizes);
  }

  public int[] getDecoderSizes() {
    return getOrDefault(decoderSizes);
  }

  public int getLatentSize() {
    return (Integer) getOrDefault(latentSize);
  }

  public String getActivation() {
    return getOrDefault(activation);
  }

  public String getDistribution() {
    return getOrDefault(distribution);
  }

  public int getEpochs() {
    return (Integer) getOrDefault(epochs);
  }

  public long getSeed() {
    return (Long) getOrDefault(seed);
  }

  public String getUpdater() {
    return getOrDefault(updater);
  }

  public double getLearningRate() {
    return (Double) getOrDefault(learningRate);
  }

  public double getL2() {
    return (Double) getOrDefault(l2);
  }

  public int getBatchSizePerWorker() {
    return (Integer) getOrDefault(batchSizePerWorker);
  }

  public int getAveragingFrequency() {
    return (Integer) getOrDefault(averagingFrequency);
  }

  public int getWorkers() {
    return (Integer) getOrDefault(workers);
  }

  public double getValidationFraction() {
    return (Double) getOrDefault(validationFraction);
  }

  public double getFalsePositiveRate() {
    return (Double) getOrDefault(falsePositiveRate);
  }

  public String[] getSettings() {
    return getOrDefault(settings);
  }

  public VaeEstimator setScaling(String value) {
    return with(scaling, value);
  }

  public VaeEstimator setEncoderSizes(int... value) {
    return with(encoderSizes, value);
  }

  public VaeEstimator setDecoderSizes(int... value) {
    return with(decoderSizes, value);
  }

  public VaeEstimator setLatentSize(int value) {
    return with(latentSize, value);
  }

  public VaeEstimator setActivation(String value) {
    return with(activation, value);
  }

  public VaeEstimator setDistribution(String value) {
    return with(distribution, value);
  }

  public VaeEstimator setEpochs(int value) {
    return with(epochs, value);
  }

  public VaeEstimator setSeed(long value) {
    return with(seed, value);
  }

  public VaeEstimator setUpdater(String value) {
    return with(updater, value);
  }

  public VaeEstimator setLearningRate(double value) {
    return with(learningRate, value);
  }

  public VaeEstimator setL2(double value) {
    return with(l2, value);
  }

  public VaeEstimator setBatchSizePerWorker(int value) {
    return with(batchSizePerWorker, value);
  }

  public VaeEstimator setAveragingFrequency(int value) {
    return with(averagingFrequency, value);
  }

  public VaeEstimator setWorkers(int value) {
    return with(workers, value);
  }

  public VaeEstimator setValidationFraction(double value) {
    return with(validationFraction, value);
  }

  public VaeEstimator setFalsePositiveRate(double value) {
    return with(falsePositiveRate, value);
  }

  /** Any other settings of conf/defaults.conf, as {@code key=value} pairs (e.g. {@code train.l2=1e-4}). */
  public VaeEstimator setSettings(String... pairs) {
    return with(settings, pairs);
  }

  public VaeEstimator setIdCol(String value) {
    return with(idCol(), value);
  }

  public VaeEstimator setFeaturesCol(String value) {
    return with(featuresCol(), value);
  }

  public VaeEstimator setOutputCols(String... value) {
    return with(outputCols(), value);
  }

  public VaeEstimator setBatchSize(int value) {
    return with(batchSize(), value);
  }

  public VaeEstimator setSamples(int value) {
    return with(samples(), value);
  }

  /** The inference engine ({@code onnxruntime} or {@code nd4j}) and its native threads per task. */
  public VaeEstimator setEngine(String name, int threads) {
    return with(engine(), name).with(engineThreads(), threads);
  }

  public VaeEstimator setSkipBadRows(boolean value) {
    return with(skipBadRows(), value);
  }

  public VaeEstimator setVectorOutput(boolean value) {
    return with(vectorOutput(), value);
  }

  private <T> VaeEstimator with(Param<T> param, T value) {
    set(param, value);
    return this;
  }
}
