package dev.sparkvae.inference;

import dev.sparkvae.config.InferenceSettings;
import dev.sparkvae.model.EncoderOnnx;
import dev.sparkvae.model.VaeMaths;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Creates {@link EncoderEngine}s and {@link #scorer scorers} by engine name.
 *
 * <ul>
 *   <li>{@value #ND4J}: {@link Nd4jEncoderEngine}, the reference; {@code threads} does not apply (ND4J's threads
 *       are process-wide, set by {@code OMP_NUM_THREADS}).
 *   <li>{@value #ONNXRUNTIME}: {@link OnnxRuntimeEncoderEngine} over the {@link EncoderOnnx} export of the network,
 *       {@code threads} intra-op threads, no spin-waiting; the faster on CPUs (see bench/RESULTS.md).
 * </ul>
 */
public final class InferenceEngines {
  public static final String ND4J = InferenceSettings.ND4J;
  public static final String ONNXRUNTIME = InferenceSettings.ONNXRUNTIME;
  /** The names {@link #create} accepts: those of {@code inference.engine}. */
  public static final List<String> NAMES = InferenceSettings.ENGINES;

  private InferenceEngines() {}

  /**
   * An engine for the encoder of {@code net}, a network of one VariationalAutoencoder layer. The engine holds a
   * snapshot of the weights for onnxruntime, a view of them for nd4j: do not train {@code net} while encoding.
   *
   * @param name {@value #ND4J} or {@value #ONNXRUNTIME}
   * @param threads threads per call, 1 or more
   * @throws IllegalArgumentException for another name, a bad thread count, or a network the engine cannot run
   */
  public static EncoderEngine create(String name, MultiLayerNetwork net, int threads) {
    check(name, threads);
    return name.equals(ND4J) ? new Nd4jEncoderEngine(VaeMaths.of(net)) : OnnxRuntimeEncoderEngine.of(net, threads);
  }

  /**
   * A scorer of rows (reconstruction error, importance-sampled log-likelihood, ELBO, reconstruction, attribution)
   * on engine {@code name}: {@value #ND4J} is {@link Nd4jScorer}, {@value #ONNXRUNTIME} {@link OnnxRuntimeScorer}.
   * Both draw the same noise (see {@link BatchScorer}) and agree to float rounding.
   *
   * @throws IllegalArgumentException as {@link #create}
   */
  public static BatchScorer scorer(String name, MultiLayerNetwork net, int threads, int samples,
      boolean withReconstruction, int attributionFeatures, long modelSeed) {
    check(name, threads);
    return name.equals(ND4J)
        ? new Nd4jScorer(VaeMaths.of(net), samples, withReconstruction, attributionFeatures, modelSeed)
        : new OnnxRuntimeScorer(net, samples, withReconstruction, attributionFeatures, modelSeed, threads);
  }

  private static void check(String name, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("Cannot set the encoder threads to " + threads
          + ": the value must be a positive integer");
    }
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("Cannot create encoder engine \"" + name
          + "\": the name must be one of " + String.join(", ", NAMES));
    }
  }

  /** Checks the arguments of {@link EncoderEngine#encodeJoint}. */
  static void checkRows(EncoderEngine engine, float[] rows, int count) {
    if (count < 0) {
      throw new IllegalArgumentException("Cannot encode " + count + " rows: the count must be 0 or more");
    }
    long needed = (long) count * engine.featureCount();
    if (rows.length < needed) {
      throw new IllegalArgumentException(String.format("Cannot encode %d rows of %d features from %d floats: "
          + "the array must hold at least %d", count, engine.featureCount(), rows.length, needed));
    }
  }
}
