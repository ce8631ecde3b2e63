package dev.sparkvae.model;


import dev.sparkvae.model.VaeLayers.Dense;
import dev.sparkvae.model.VaeLayers.Function;
import java.util.List;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Writes the encoder of a DL4J VAE as an ONNX model: input {@value #INPUT} float32 [N, features], output
 * {@value #OUTPUT} float32 [N, 2 · latent], the mean of q(z|x) in the first latent columns and its log-variance in
 * the rest (as {@link dev.sparkvae.model.VaeMaths#encodeJoint}). N is dynamic.
 *
 * <p>Each dense layer is one Gemm node (weights and bias as initializers, so ONNX Runtime can prepack them) followed
 * by its activation node (none for identity); the mean and log-variance heads are one Gemm. The model is a snapshot
 * of the parameters: export again after training. Danger: the bytes hold every encoder weight (about 1 MB for
 * 784-256-256); keep them off logs.
 */
public final class EncoderOnnx {
  /** Name of the input: rows of features. */
  public static final String INPUT = "x";
  /** Name of the output: mean and log-variance side by side. */
  public static final String OUTPUT = "z";

  private EncoderOnnx() {}

  /**
   * The ONNX model of {@code net}'s encoder.
   *
   * @throws IllegalArgumentException if {@code net} is not one VariationalAutoencoder layer or uses an activation
   *     that {@link VaeLayers} does not support
   */
  public static byte[] export(MultiLayerNetwork net) {
    List<Dense> layers = VaeLayers.encoder(net);
    OnnxGraph graph = new OnnxGraph("vae_encoder")
        .input(INPUT, OnnxGraph.BATCH, layers.get(0).inputs())
        .output(OUTPUT, OnnxGraph.BATCH, layers.get(layers.size() - 1).outputs());
    layers(graph, layers, OUTPUT);
    return graph.toBytes();
  }

  /**
   * Adds the nodes of the encoder {@code layers} to {@code graph}, from the input {@value #INPUT} [N, features] to
   * {@code output} [N, 2 · latent], the joint head's activation applied.
   */
  static void layers(OnnxGraph graph, List<Dense> layers, String output) {
    String in = INPUT;
    for (int i = 0; i < layers.size(); i++) {
      Dense layer = layers.get(i);
      Function function = layer.activation().function();
      String weights = "dense" + i + "_W";
      String bias = "dense" + i + "_b";
      String out = i == layers.size() - 1 ? output : "dense" + i;
      String linear = function == Function.IDENTITY ? out : "dense" + i + "_linear";
      graph.initializer(weights, layer.weights(), layer.inputs(), layer.outputs())
          .initializer(bias, layer.bias(), layer.outputs())
          .node("Gemm", new String[] {in, weights, bias}, linear, null);
      if (function != Function.IDENTITY) {
        graph.activation(layer.activation(), linear, out);
      }
      in = out;
    }
  }
}
