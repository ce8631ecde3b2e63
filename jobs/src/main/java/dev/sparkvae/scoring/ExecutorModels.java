package dev.sparkvae.scoring;

import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.EncoderEngine;
import dev.sparkvae.inference.InferenceEngines;
import dev.sparkvae.model.VaeMaths;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Models, encoder engines and scorers made once per executor JVM, keyed by the sha256 of model.zip, shared by all task
 * threads (a {@link VaeMaths} only reads its parameters; engines and scorers are thread-safe). Danger: they stay until the JVM
 * ends; fine for the one or two models of a job.
 */
public final class ExecutorModels {
  private static final Map<String, MultiLayerNetwork> NETWORKS = new ConcurrentHashMap<>();
  private static final Map<String, VaeMaths> MODELS = new ConcurrentHashMap<>();
  private static final Map<String, EncoderEngine> ENGINES = new ConcurrentHashMap<>();
  private static final Map<String, BatchScorer> SCORERS = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  /** The model of {@code sha256}, restored from the broadcast model.zip bytes on first use in this JVM. */
  public static VaeMaths get(String sha256, Broadcast<byte[]> modelZip) {
    return MODELS.computeIfAbsent(sha256, key -> VaeMaths.of(network(key, modelZip)));
  }

  /** The encoder engine {@code name} with {@code threads} threads for the model of {@code sha256}. */
  public static EncoderEngine engine(String sha256, Broadcast<byte[]> modelZip, String name, int threads) {
    return ENGINES.computeIfAbsent(sha256 + "/" + name + "/" + threads,
        key -> InferenceEngines.create(name, network(sha256, modelZip), threads));
  }

  /**
   * The scorer on engine {@code name} with {@code threads} threads for the model of {@code sha256} (options as
   * {@link InferenceEngines#scorer}), drawing its noise from the model's checksum ({@link BatchScorer#seedOf}).
   */
  public static BatchScorer scorer(String sha256, Broadcast<byte[]> modelZip, String name, int threads, int samples,
      boolean withReconstruction, int attributionFeatures) {
    return SCORERS.computeIfAbsent(String.join("/", sha256, name, "" + threads, "" + samples, "" + withReconstruction,
            "" + attributionFeatures),
        key -> InferenceEngines.scorer(name, network(sha256, modelZip), threads, samples, withReconstruction,
            attributionFeatures, BatchScorer.seedOf(sha256)));
  }

  private static MultiLayerNetwork network(String sha256, Broadcast<byte[]> modelZip) {
    return NETWORKS.computeIfAbsent(sha256, key -> {
      try {
        return ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(modelZip.value()), false);
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot restore model " + key + " on this executor", e);
      }
    });
  }
}
