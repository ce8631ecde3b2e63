package dev.sparkvae.jobs.spark;

import dev.sparkvae.model.VaeModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.broadcast.Broadcast;
import org.deeplearning4j.util.ModelSerializer;

/**
 * Models loaded once per executor JVM, keyed by the sha256 of model.zip, shared by all task threads (a
 * {@link VaeModel} only reads its parameters). Danger: models stay until the JVM ends; fine for a job's one model.
 */
public final class ExecutorModels {
  private static final Map<String, VaeModel> MODELS = new ConcurrentHashMap<>();

  private ExecutorModels() {}

  /** The model of {@code sha256}, restored from the broadcast model.zip bytes on first use in this JVM. */
  public static VaeModel get(String sha256, Broadcast<byte[]> modelZip) {
    return MODELS.computeIfAbsent(sha256, key -> {
      try {
        return VaeModel.of(ModelSerializer.restoreMultiLayerNetwork(new ByteArrayInputStream(modelZip.value()),
            false));
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot restore model " + key + " on this executor", e);
      }
    });
  }
}
