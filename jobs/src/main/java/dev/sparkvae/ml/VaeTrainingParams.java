package dev.sparkvae.ml;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * The training params of {@link VaeEstimator}, each bound to its key of {@code conf/defaults.conf} ({@link #KEYS}),
 * which gives its default and its check: a bad value is refused when set, naming the rule. {@code settings} reaches
 * any other key of that file as {@code key=value} pairs (default none), applied after the params.
 */
public interface VaeTrainingParams extends Params {
  /** The key of conf/defaults.conf behind each training param, by param name. */
  Map<String, String> KEYS = keys("scaling", "data.scaling", "encoderSizes", "vae.encoder-sizes",
      "decoderSizes", "vae.decoder-sizes", "latentSize", "vae.latent-size", "activation", "vae.activation",
      "distribution", "vae.distribution", "epochs", "train.epochs", "seed", "train.seed", "updater", "train.updater",
      "learningRate", "train.learning-rate", "learningRateScaling", "train.learning-rate-scaling", "l2", "train.l2",
      "batchSizePerWorker", "train.batch-size-per-worker",
      "averagingFrequency", "train.averaging-frequency", "outerLearningRate", "train.outer-learning-rate",
      "outerMomentum", "train.outer-momentum", "workers", "train.workers",
      "validationFraction", "train.validation-fraction", "falsePositiveRate", "anomaly.false-positive-rate");

  default Param<String> scaling() {
    return new Param<>(this, "scaling", "feature scaling: auto, none, standardize or min-max", rule("scaling"));
  }

  default IntArrayParam encoderSizes() {
    return new IntArrayParam(this, "encoderSizes", "hidden layer widths of the encoder", rule("encoderSizes"));
  }

  default IntArrayParam decoderSizes() {
    return new IntArrayParam(this, "decoderSizes", "hidden layer widths of the decoder", rule("decoderSizes"));
  }

  default IntParam latentSize() {
    return new IntParam(this, "latentSize", "dimension of z", rule("latentSize"));
  }

  default Param<String> activation() {
    return new Param<>(this, "activation", "hidden activation", rule("activation"));
  }

  default Param<String> distribution() {
    return new Param<>(this, "distribution", "p(x|z): bernoulli (data in [0, 1]) or gaussian", rule("distribution"));
  }

  default IntParam epochs() {
    return new IntParam(this, "epochs", "passes over the rows", rule("epochs"));
  }

  default LongParam seed() {
    return new LongParam(this, "seed", "seeds initialisation, shuffling, noise and the held-out split", rule("seed"));
  }

  default Param<String> updater() {
    return new Param<>(this, "updater", "adam, sgd, nesterovs, rmsprop or adagrad", rule("updater"));
  }

  default DoubleParam learningRate() {
    return new DoubleParam(this, "learningRate", "the updater's learning rate for one worker", rule("learningRate"));
  }

  default Param<String> learningRateScaling() {
    return new Param<>(this, "learningRateScaling", "how the workers' learning rate grows with their number W: "
        + "sqrt (learningRate x sqrt(W)) or none", rule("learningRateScaling"));
  }

  default DoubleParam l2() {
    return new DoubleParam(this, "l2", "L2 weight decay", rule("l2"));
  }

  default IntParam batchSizePerWorker() {
    return new IntParam(this, "batchSizePerWorker", "examples in one worker minibatch", rule("batchSizePerWorker"));
  }

  default IntParam averagingFrequency() {
    return new IntParam(this, "averagingFrequency",
        "minibatches each worker fits between two averaging rounds; 0 = 64 / workers, at least 8",
        rule("averagingFrequency"));
  }

  default DoubleParam outerLearningRate() {
    return new DoubleParam(this, "outerLearningRate", "the driver's step size on each round's averaged update",
        rule("outerLearningRate"));
  }

  default DoubleParam outerMomentum() {
    return new DoubleParam(this, "outerMomentum", "the driver's Nesterov momentum on the rounds' averaged updates",
        rule("outerMomentum"));
  }

  default IntParam workers() {
    return new IntParam(this, "workers", "parallel workers; 0 = Spark's default parallelism", rule("workers"));
  }

  default DoubleParam validationFraction() {
    return new DoubleParam(this, "validationFraction", "share of the rows held out for the held-out negative ELBO",
        rule("validationFraction"));
  }

  default DoubleParam falsePositiveRate() {
    return new DoubleParam(this, "falsePositiveRate",
        "share of the held-out rows above the anomaly threshold the model records", rule("falsePositiveRate"));
  }

  default StringArrayParam settings() {
    return new StringArrayParam(this, "settings", "key=value settings of conf/defaults.conf",
        ParamRule.of("settings", (String[] pairs) -> ParamSettings.problem(Arrays.asList(pairs))));
  }

  default String getScaling() {
    return getOrDefault(scaling());
  }

  default int[] getEncoderSizes() {
    return getOrDefault(encoderSizes());
  }

  default int[] getDecoderSizes() {
    return getOrDefault(decoderSizes());
  }

  default int getLatentSize() {
    return (Integer) getOrDefault(latentSize());
  }

  default String getActivation() {
    return getOrDefault(activation());
  }

  default String getDistribution() {
    return getOrDefault(distribution());
  }

  default int getEpochs() {
    return (Integer) getOrDefault(epochs());
  }

  default long getSeed() {
    return (Long) getOrDefault(seed());
  }

  default String getUpdater() {
    return getOrDefault(updater());
  }

  default double getLearningRate() {
    return (Double) getOrDefault(learningRate());
  }

  default String getLearningRateScaling() {
    return getOrDefault(learningRateScaling());
  }

  default double getL2() {
    return (Double) getOrDefault(l2());
  }

  default int getBatchSizePerWorker() {
    return (Integer) getOrDefault(batchSizePerWorker());
  }

  default int getAveragingFrequency() {
    return (Integer) getOrDefault(averagingFrequency());
  }

  default double getOuterLearningRate() {
    return (Double) getOrDefault(outerLearningRate());
  }

  default double getOuterMomentum() {
    return (Double) getOrDefault(outerMomentum());
  }

  default int getWorkers() {
    return (Integer) getOrDefault(workers());
  }

  default double getValidationFraction() {
    return (Double) getOrDefault(validationFraction());
  }

  default double getFalsePositiveRate() {
    return (Double) getOrDefault(falsePositiveRate());
  }

  default String[] getSettings() {
    return getOrDefault(settings());
  }

  /** Sets the defaults of the training params on {@code owner}: those of their keys. */
  static void setTrainingDefaults(VaeTrainingParams owner) {
    KEYS.forEach((name, key) -> {
      Param<Object> param = owner.getParam(name);
      owner.setDefault(param, ParamSettings.defaultOf(key, param));
    });
    owner.setDefault(owner.settings(), new String[0]);
  }

  private static <T> ParamRule<T> rule(String param) {
    return ParamSettings.rule(param, KEYS.get(param));
  }

  private static Map<String, String> keys(String... pairs) {
    Map<String, String> keys = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      keys.put(pairs[i], pairs[i + 1]);
    }
    return Collections.unmodifiableMap(keys);
  }
}
