package dev.sparkvae.model;


import dev.sparkvae.model.VaeLayers.Dense;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.ReconstructionDistribution;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Writes the ONNX graphs a model directory carries for serving outside Spark. N is dynamic in both.
 *
 * <ul>
 *   <li>{@value #ENCODER_FILE}: input {@value #X} float32 [N, features]; outputs {@value #Z_MEAN} and
 *       {@value #Z_LOG_VAR} float32 [N, latent], the mean and log-variance of q(z|x) (as
 *       {@link dev.sparkvae.model.VaeMaths#encode}).
 *   <li>{@value #DECODER_FILE}: input {@value #Z} float32 [N, latent]; output {@value #X_MEAN} float32
 *       [N, features], the mean of p(x|z): the sigmoid of the logits for a Bernoulli, the first features columns of
 *       the parameters after the distribution's activation for a Gaussian (as DL4J's {@code generateAtMean}).
 * </ul>
 *
 * <p>The graphs compute in the network's units: a saved network has its feature scaling folded in, so they take
 * and give raw features. They are snapshots of the parameters and hold every weight: keep the bytes off logs.
 */
public final class ServingOnnx {
  public static final String ENCODER_FILE = "encoder.onnx";
  public static final String DECODER_FILE = "decoder.onnx";
  /** The encoder's input: rows of raw features. */
  public static final String X = EncoderOnnx.INPUT;
  public static final String Z_MEAN = "z_mean";
  public static final String Z_LOG_VAR = "z_log_var";
  /** The decoder's input: rows of latents. */
  public static final String Z = LikelihoodOnnx.LATENTS;
  public static final String X_MEAN = "x_mean";

  /**
   * One graph as written.
   *
   * @param graph its file name and signatures, for {@code model.json}
   * @param bytes the serialized model
   */
  public record Export(OnnxExports.Graph graph, byte[] bytes) {}

  private ServingOnnx() {}

  /**
   * The served encoder of {@code net}.
   *
   * @throws IllegalArgumentException as {@link EncoderOnnx#export}
   */
  public static Export encoder(MultiLayerNetwork net) {
    List<Dense> layers = VaeLayers.encoder(net);
    int latent = layers.get(layers.size() - 1).outputs() / 2;
    OnnxGraph graph = new OnnxGraph("vae_encoder")
        .input(X, OnnxGraph.BATCH, layers.get(0).inputs())
        .output(Z_MEAN, OnnxGraph.BATCH, latent)
        .output(Z_LOG_VAR, OnnxGraph.BATCH, latent)
        .longs("zero", 0).longs("latent", latent).longs("twice_latent", 2L * latent).longs("axis1", 1);
    EncoderOnnx.layers(graph, layers, "z_joint");
    graph.node("Slice", Z_MEAN, "z_joint", "zero", "latent", "axis1")
        .node("Slice", Z_LOG_VAR, "z_joint", "latent", "twice_latent", "axis1");
    return export(ENCODER_FILE, graph);
  }

  /**
   * The served decoder of {@code net}.
   *
   * @throws IllegalArgumentException as {@link LikelihoodOnnx#export}
   */
  public static Export decoder(MultiLayerNetwork net) {
    List<Dense> layers = VaeLayers.decoder(net);
    ReconstructionDistribution distribution = LikelihoodOnnx.exportableDistribution(net);
    int features = LikelihoodOnnx.featureCount(net);
    OnnxGraph graph = new OnnxGraph("vae_decoder")
        .input(Z, OnnxGraph.BATCH, layers.get(0).inputs())
        .output(X_MEAN, OnnxGraph.BATCH, features);
    String pre = LikelihoodOnnx.layers(graph, layers);
    if (distribution instanceof GaussianReconstructionDistribution normal) {
      String params = LikelihoodOnnx.gaussianParameters(graph, pre, VaeLayers.activation(normal.getActivationFn()));
      graph.longs("zero", 0).longs("features", features).longs("axis1", 1)
          .node("Slice", X_MEAN, params, "zero", "features", "axis1");
    } else {
      graph.node("Sigmoid", X_MEAN, pre);
    }
    return export(DECODER_FILE, graph);
  }

  private static Export export(String file, OnnxGraph graph) {
    return new Export(new OnnxExports.Graph(file, graph.inputSignatures(), graph.outputSignatures()),
        graph.toBytes());
  }
}
