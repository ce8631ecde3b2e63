package dev.sparkvae.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationELU;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftPlus;
import org.nd4j.linalg.activations.impl.ActivationTanH;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The encoder and decoder of a DL4J VAE as plain dense layers, runtime-neutral. Encoder: the hidden layers
 * {@code e0, e1, …} with the hidden activation, then the joint head {@code [pZXMean | pZXLogStd2]} with the pZX
 * activation, so that the last layer outputs the mean and log-variance of q(z|x) side by side (as
 * {@link VaeMaths#encodeJoint}). Decoder: the hidden layers {@code d0, d1, …} with the hidden activation, then
 * {@code pXZ} with no activation: its output is the pre-activation of p(x|z)'s parameters (as
 * {@link VaeMaths#decodePreOutput}).
 *
 * <p>Arrays are float32 copies, weights row-major inputs × outputs: later training does not change them.
 * Activations supported: {@link Function}; anything else is an {@link IllegalArgumentException} naming it.
 */
public final class VaeLayers {
  /** Activation functions that every engine can run, with DL4J's definitions. */
  public enum Function {
    RELU, LEAKYRELU, TANH, SIGMOID, ELU, SOFTPLUS, IDENTITY
  }

  /**
   * An activation.
   *
   * @param function the function
   * @param alpha the negative-side slope of LEAKYRELU or the scale of ELU; 0 for the others
   */
  public record Activation(Function function, float alpha) {}

  /**
   * {@code activation(x · weights + bias)} for rows x.
   *
   * @param inputs width of the input
   * @param outputs width of the output
   * @param weights row-major inputs × outputs
   * @param bias outputs values
   * @param activation applied elementwise to the output
   */
  public record Dense(int inputs, int outputs, float[] weights, float[] bias, Activation activation) {}

  private VaeLayers() {}

  /**
   * The encoder of {@code net}, input side first, the joint head last.
   *
   * @throws IllegalArgumentException if {@code net} is not one VariationalAutoencoder layer, or uses an activation
   *     outside {@link Function}
   */
  public static List<Dense> encoder(MultiLayerNetwork net) {
    VariationalAutoencoder conf = conf(net);
    Map<String, INDArray> params = net.getLayer(0).paramTable();
    List<Dense> layers = hidden(net, "e", conf.getEncoderLayerSizes().length);
    layers.add(dense(Nd4j.hstack(params.get("pZXMeanW"), params.get("pZXLogStd2W")),
        Nd4j.hstack(params.get("pZXMeanb"), params.get("pZXLogStd2b")), activation(conf.getPzxActivationFn())));
    return layers;
  }

  /**
   * The decoder of {@code net}, latent side first, the pre-activation of p(x|z)'s parameters last (identity).
   *
   * @throws IllegalArgumentException as {@link #encoder}
   */
  public static List<Dense> decoder(MultiLayerNetwork net) {
    List<Dense> layers = hidden(net, "d", conf(net).getDecoderLayerSizes().length);
    Map<String, INDArray> params = net.getLayer(0).paramTable();
    layers.add(dense(params.get("pXZW"), params.get("pXZb"), new Activation(Function.IDENTITY, 0f)));
    return layers;
  }

  /** The {@code count} hidden layers {@code prefix0, prefix1, …} with the hidden activation. */
  private static List<Dense> hidden(MultiLayerNetwork net, String prefix, int count) {
    Map<String, INDArray> params = net.getLayer(0).paramTable();
    Activation activation = activation(conf(net).getActivationFn());
    List<Dense> layers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      layers.add(dense(params.get(prefix + i + "W"), params.get(prefix + i + "b"), activation));
    }
    return layers;
  }

  private static VariationalAutoencoder conf(MultiLayerNetwork net) {
    VaeMaths.of(net); // checks the network's shape, with the message every caller of VaeMaths sees
    return (VariationalAutoencoder) net.getLayer(0).conf().getLayer();
  }

  private static Dense dense(INDArray weights, INDArray bias, Activation activation) {
    return new Dense(weights.rows(), weights.columns(),
        weights.castTo(DataType.FLOAT).dup('c').data().asFloat(),
        bias.castTo(DataType.FLOAT).dup('c').data().asFloat(), activation);
  }

  /**
   * The supported counterpart of a DL4J activation.
   *
   * @throws IllegalArgumentException naming the activation if it is not supported
   */
  static Activation activation(IActivation fn) {
    if (fn instanceof ActivationReLU relu && relu.getMax() == null && isZeroOrUnset(relu.getThreshold())
        && isZeroOrUnset(relu.getNegativeSlope())) {
      return new Activation(Function.RELU, 0f);
    } else if (fn instanceof ActivationLReLU leaky) {
      return new Activation(Function.LEAKYRELU, (float) leaky.getAlpha());
    } else if (fn instanceof ActivationTanH) {
      return new Activation(Function.TANH, 0f);
    } else if (fn instanceof ActivationSigmoid) {
      return new Activation(Function.SIGMOID, 0f);
    } else if (fn instanceof ActivationELU elu) {
      return new Activation(Function.ELU, (float) elu.getAlpha());
    } else if (fn instanceof ActivationSoftPlus) {
      return new Activation(Function.SOFTPLUS, 0f);
    } else if (fn instanceof ActivationIdentity) {
      return new Activation(Function.IDENTITY, 0f);
    }
    throw new IllegalArgumentException("Cannot run activation " + fn + " outside DL4J: the activation must be one "
        + "of relu (plain), leakyrelu, tanh, sigmoid, elu, softplus, identity");
  }

  private static boolean isZeroOrUnset(Double value) {
    return value == null || value == 0.0;
  }
}
