package dev.sparkvae.config;

import java.util.List;

/**
 * How trained models run on the executors in encode, reconstruct and evaluate (keys {@code inference.*};
 * defaults in {@code conf/defaults.conf}).
 *
 * @param engine {@value #ONNXRUNTIME} (the exported ONNX graphs on ONNX Runtime) or {@value #ND4J} (DL4J's ND4J)
 * @param threads native threads of the engine per task; keep task slots x threads at most the cores
 */
public record InferenceSettings(String engine, int threads) {
  public static final String ND4J = "nd4j";
  public static final String ONNXRUNTIME = "onnxruntime";
  /** The values of {@code inference.engine}. */
  public static final List<String> ENGINES = List.of(ND4J, ONNXRUNTIME);

  /** Those of {@code conf/defaults.conf}. */
  public static InferenceSettings defaults() {
    return from(Settings.defaults());
  }

  /** Reads {@code inference.*}. */
  public static InferenceSettings from(Settings settings) {
    return new InferenceSettings(settings.oneOf("inference.engine", ENGINES.toArray(new String[0])),
        settings.positiveInt("inference.threads"));
  }
}
