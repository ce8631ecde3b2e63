package dev.sparkvae.model;

import java.util.List;

/**
 * The ONNX graphs a model directory carries for serving outside Spark, recorded in {@code model.json}. Both take
 * and give raw units (the model's {@link FeatureScaling} is folded in); the batch axis N is dynamic.
 *
 * @param encoder {@code encoder.onnx}: raw features in, the mean and log-variance of q(z|x) out
 * @param decoder {@code decoder.onnx}: latents in, the mean of p(x|z) out
 */
public record OnnxExports(Graph encoder, Graph decoder) {
  /**
   * One graph file.
   *
   * @param file the file name in the model directory
   * @param inputs input names, in order, each "name: float32[dims]"
   * @param outputs output names, in order, each "name: float32[dims]"
   */
  public record Graph(String file, List<String> inputs, List<String> outputs) {}
}
