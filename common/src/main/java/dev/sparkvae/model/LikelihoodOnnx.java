package dev.sparkvae.model;


import dev.sparkvae.model.VaeLayers.Dense;
import dev.sparkvae.model.VaeLayers.Function;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.ReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;

/**
 * Writes the decoder of a DL4J VAE and its log-likelihood as an ONNX model. Inputs: {@value #LATENTS} float32
 * [N, S, latent], S latents per row, and {@value EncoderOnnx#INPUT} [N, features], the rows. Outputs:
 * {@value #LOG_PXZ} [N, S, 1], log p(x_n | z_ns) in nats, {@value #RECONSTRUCTION} [N, 1, features], the mean of
 * p(x|z) at each row's first latent, {@value #MISFIT} [N, 1, 1], the deviance of each row at its first latent
 * (see {@code BatchScorer}), and {@value #CONTRIBUTIONS} [N, 1, features], its terms per feature. N and S are
 * dynamic; ONNX Runtime computes only the outputs asked for.
 *
 * <ul>
 *   <li>Bernoulli p(x|z) with the sigmoid: Σ_f x_f·a_f − softplus(a_f) over the logits a, exact for saturated
 *       logits (see {@code Nd4jScorer}); the dot products are one batched MatMul, and
 *       softplus(a) = max(a, 0) − log σ(|a|) (σ(|a|) lies in [½, 1]: no overflow, no underflow), because ONNX
 *       Runtime's Sigmoid and Log are vectorized where its Softplus is not (bench/RESULTS.md, scoring).
 *   <li>Gaussian p(x|z): −½ Σ_f (log σ²_f + (x_f − μ_f)² / σ²_f) − ½ F log 2π, the distribution's activation applied
 *       to [μ | log σ²] first, as DL4J does.
 *   <li>Deviance: Bernoulli, −log p(x|z) − Σ_f H(x_f) with the binary entropy H (x log x read as 0 at x = 0), per
 *       feature softplus(a_f) − x_f·a_f − H(x_f); Gaussian, ½ Σ_f (x_f − μ_f)² / σ²_f.
 * </ul>
 *
 * <p>The model is a snapshot of the decoder parameters (about 1 MB for 16-256-256-784); keep the bytes off logs.
 */
public final class LikelihoodOnnx {
  /** Name of the input latents. */
  public static final String LATENTS = "z";
  /** Name of the log-likelihood output. */
  public static final String LOG_PXZ = "log_px_z";
  /** Name of the reconstruction output. */
  public static final String RECONSTRUCTION = "reconstruction";
  /** Name of the deviance output. */
  public static final String MISFIT = "misfit";
  /** Name of the output of the deviance's per-feature terms. */
  public static final String CONTRIBUTIONS = "contributions";
  /** Below it, x log x is taken as 0 (ONNX's Log(0) is −∞, and 0 · −∞ is NaN). */
  private static final float ENTROPY_FLOOR = 1e-30f;

  private LikelihoodOnnx() {}

  /**
   * The ONNX model of {@code net}'s decoder and log p(x|z).
   *
   * @throws IllegalArgumentException if {@code net} is not one VariationalAutoencoder layer, uses an activation
   *     that {@link VaeLayers} does not support, or a p(x|z) other than Gaussian or Bernoulli with the sigmoid
   */
  public static byte[] export(MultiLayerNetwork net) {
    List<Dense> layers = VaeLayers.decoder(net);
    ReconstructionDistribution distribution = exportableDistribution(net);
    int features = featureCount(net);
    OnnxGraph graph = new OnnxGraph("vae_log_likelihood")
        .input(LATENTS, OnnxGraph.BATCH, OnnxGraph.PER_ROW, layers.get(0).inputs())
        .input(EncoderOnnx.INPUT, OnnxGraph.BATCH, features)
        .output(LOG_PXZ, OnnxGraph.BATCH, OnnxGraph.PER_ROW, 1)
        .output(RECONSTRUCTION, OnnxGraph.BATCH, 1, features)
        .output(MISFIT, OnnxGraph.BATCH, 1, 1)
        .output(CONTRIBUTIONS, OnnxGraph.BATCH, 1, features)
        .longs("zero", 0).longs("one", 1).longs("axis1", 1).longs("axis2", 2);
    String pre = layers(graph, layers);
    if (distribution instanceof GaussianReconstructionDistribution normal) {
      gaussian(graph, pre, features, VaeLayers.activation(normal.getActivationFn()));
    } else {
      graph.node("Unsqueeze", "x_column", EncoderOnnx.INPUT, "axis2")
          .node("MatMul", "x_dot_logits", pre, "x_column")
          .node("Relu", "positive_part", pre)
          .node("Abs", "magnitude", pre)
          .node("Sigmoid", "sigmoid_magnitude", "magnitude")
          .node("Log", "log_sigmoid_magnitude", "sigmoid_magnitude")
          .node("Sub", "softplus", "positive_part", "log_sigmoid_magnitude")
          .node("ReduceSum", "softplus_sum", "softplus", "axis2")
          .node("Sub", LOG_PXZ, "x_dot_logits", "softplus_sum")
          .node("Slice", "first_logits", pre, "zero", "one", "axis1")
          .node("Sigmoid", RECONSTRUCTION, "first_logits");
      bernoulliDeviance(graph);
    }
    return graph.toBytes();
  }

  /**
   * {@value #MISFIT} of a Bernoulli p(x|z), Σ_f x log x + (1 − x) log(1 − x) − log p(x|z) at the first latent, and
   * its terms {@value #CONTRIBUTIONS}, softplus(a) − x·a + x log x + (1 − x) log(1 − x).
   */
  private static void bernoulliDeviance(OnnxGraph graph) {
    graph.initializer("entropy_floor", new float[] {ENTROPY_FLOOR})
        .initializer("unit", new float[] {1f})
        .node("Max", "x_floored", EncoderOnnx.INPUT, "entropy_floor")
        .node("Log", "log_x", "x_floored")
        .node("Mul", "x_log_x", EncoderOnnx.INPUT, "log_x")
        .node("Sub", "complement", "unit", EncoderOnnx.INPUT)
        .node("Max", "complement_floored", "complement", "entropy_floor")
        .node("Log", "log_complement", "complement_floored")
        .node("Mul", "complement_log_complement", "complement", "log_complement")
        .node("Add", "negative_entropy_terms", "x_log_x", "complement_log_complement")
        .node("ReduceSum", "negative_entropy", "negative_entropy_terms", "axis1")
        .node("Unsqueeze", "negative_entropy_per_latent", "negative_entropy", "axis2")
        .node("Slice", "first_log_pxz", LOG_PXZ, "zero", "one", "axis1")
        .node("Sub", MISFIT, "negative_entropy_per_latent", "first_log_pxz")
        .node("Slice", "first_softplus", "softplus", "zero", "one", "axis1")
        .node("Unsqueeze", "x_first", EncoderOnnx.INPUT, "axis1")
        .node("Mul", "x_times_first_logits", "x_first", "first_logits")
        .node("Sub", "first_misfit_terms", "first_softplus", "x_times_first_logits")
        .node("Unsqueeze", "negative_entropy_row", "negative_entropy_terms", "axis1")
        .node("Add", CONTRIBUTIONS, "first_misfit_terms", "negative_entropy_row");
  }

  /**
   * The p(x|z) of {@code net}, checked to be one the exports support.
   *
   * @throws IllegalArgumentException for a p(x|z) other than Gaussian or Bernoulli with the sigmoid
   */
  static ReconstructionDistribution exportableDistribution(MultiLayerNetwork net) {
    ReconstructionDistribution distribution =
        ((VariationalAutoencoder) net.getLayer(0).conf().getLayer()).getOutputDistribution();
    if (!(distribution instanceof GaussianReconstructionDistribution)
        && !(distribution instanceof BernoulliReconstructionDistribution bernoulli
        && bernoulli.getActivationFn() instanceof ActivationSigmoid)) {
      throw new IllegalArgumentException("Cannot export p(x|z) " + distribution + " to ONNX: it must be Gaussian, "
          + "or Bernoulli with the sigmoid");
    }
    return distribution;
  }

  /** The number of features of {@code net}, the width of p(x|z)'s mean. */
  static int featureCount(MultiLayerNetwork net) {
    return (int) ((VariationalAutoencoder) net.getLayer(0).conf().getLayer()).getNIn();
  }

  /**
   * Adds the nodes of the decoder {@code layers} to {@code graph}, from the input {@value #LATENTS} [..., latent]
   * (any leading dimensions: MatMul broadcasts) to the pre-activation of p(x|z)'s parameters.
   *
   * @return the name of that last output
   */
  static String layers(OnnxGraph graph, List<Dense> layers) {
    String pre = LATENTS;
    for (int i = 0; i < layers.size(); i++) {
      Dense layer = layers.get(i);
      String out = "decoder" + i;
      String linear = layer.activation().function() == Function.IDENTITY ? out : out + "_linear";
      graph.initializer(out + "_W", layer.weights(), layer.inputs(), layer.outputs())
          .initializer(out + "_b", layer.bias(), layer.outputs())
          .node("MatMul", out + "_product", pre, out + "_W")
          .node("Add", linear, out + "_product", out + "_b");
      if (!linear.equals(out)) {
        graph.activation(layer.activation(), linear, out);
      }
      pre = out;
    }
    return pre;
  }

  /** The Gaussian log-likelihood nodes over the pre-activation [μ | log σ²] {@code pre} [N, S, 2F]. */
  private static void gaussian(OnnxGraph graph, String pre, int features, VaeLayers.Activation activation) {
    String params = gaussianParameters(graph, pre, activation);
    graph.longs("features", features).longs("twice_features", 2L * features)
        .initializer("minus_half", new float[] {-0.5f})
        .initializer("log_normalizer", new float[] {(float) (-0.5 * features * Math.log(2 * Math.PI))})
        .node("Slice", "mean", params, "zero", "features", "axis2")
        .node("Slice", "log_var", params, "features", "twice_features", "axis2")
        .node("Unsqueeze", "x_row", EncoderOnnx.INPUT, "axis1")
        .node("Sub", "deviation", "x_row", "mean")
        .node("Mul", "squared_deviation", "deviation", "deviation")
        .node("Exp", "variance", "log_var")
        .node("Div", "scaled_deviation", "squared_deviation", "variance")
        .node("Add", "terms", "log_var", "scaled_deviation")
        .node("ReduceSum", "term_sum", "terms", "axis2")
        .node("Mul", "half_sum", "term_sum", "minus_half")
        .node("Add", LOG_PXZ, "half_sum", "log_normalizer")
        .node("Slice", RECONSTRUCTION, "mean", "zero", "one", "axis1")
        .initializer("half", new float[] {0.5f})
        .node("Slice", "first_scaled_deviation", "scaled_deviation", "zero", "one", "axis1")
        .node("ReduceSum", "first_deviation_sum", "first_scaled_deviation", "axis2")
        .node("Mul", MISFIT, "first_deviation_sum", "half")
        .node("Mul", CONTRIBUTIONS, "first_scaled_deviation", "half");
  }

  /**
   * Adds the Gaussian's {@code activation} over the pre-activation [μ | log σ²] {@code pre} (nothing for the
   * identity), as DL4J applies it.
   *
   * @return the name of the activated parameters
   */
  static String gaussianParameters(OnnxGraph graph, String pre, VaeLayers.Activation activation) {
    if (activation.function() == Function.IDENTITY) {
      return pre;
    }
    graph.activation(activation, pre, "gaussian_params");
    return "gaussian_params";
  }
}
