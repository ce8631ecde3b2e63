package dev.sparkvae.model;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.layers.variational.ReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The maths of a trained VAE over its parameters, without DL4J's layer machinery: encoder to the mean and
 * log-variance of q(z|x), decoder to the parameters of p(x|z), and the negative ELBO.
 *
 * <p>DL4J's layer exposes only the latent mean; the log-variance head is read here from the parameter table
 * ({@code e0W, e0b, …, pZXMeanW, pZXMeanb, pZXLogStd2W, pZXLogStd2b, d0W, …, pXZW, pXZb}). Arrays share the
 * network's encoder and decoder parameters (the joint head is a copy): do not modify them. Safe to share between
 * threads (parameters are only read); the noise of {@link #negativeElbo} comes from ND4J's per-thread generator.
 */
public final class VaeMaths {
  private final List<INDArray[]> encoder = new ArrayList<>();
  private final List<INDArray[]> decoder = new ArrayList<>();
  private final INDArray headW;
  private final INDArray headB;
  private final INDArray outW;
  private final INDArray outB;
  private final IActivation hidden;
  private final IActivation latent;
  private final ReconstructionDistribution distribution;
  private final int featureCount;
  private final int latentSize;

  private VaeMaths(MultiLayerNetwork net) {
    VariationalAutoencoder conf = (VariationalAutoencoder) net.getLayer(0).conf().getLayer();
    var params = net.getLayer(0).paramTable();
    for (int i = 0; i < conf.getEncoderLayerSizes().length; i++) {
      encoder.add(new INDArray[] {params.get("e" + i + "W"), params.get("e" + i + "b")});
    }
    for (int i = 0; i < conf.getDecoderLayerSizes().length; i++) {
      decoder.add(new INDArray[] {params.get("d" + i + "W"), params.get("d" + i + "b")});
    }
    // Both heads read the same hidden state: one GEMM against [mean | log-variance] weights computes them.
    headW = Nd4j.hstack(params.get("pZXMeanW"), params.get("pZXLogStd2W"));
    headB = Nd4j.hstack(params.get("pZXMeanb"), params.get("pZXLogStd2b"));
    outW = params.get("pXZW");
    outB = params.get("pXZb");
    hidden = conf.getActivationFn();
    latent = conf.getPzxActivationFn();
    distribution = conf.getOutputDistribution();
    featureCount = (int) conf.getNIn();
    latentSize = (int) conf.getNOut();
  }

  /** A view over the first layer of {@code net}, which must be a DL4J VariationalAutoencoder. */
  public static VaeMaths of(MultiLayerNetwork net) {
    if (net.getnLayers() != 1 || !(net.getLayer(0).conf().getLayer() instanceof VariationalAutoencoder)) {
      throw new IllegalArgumentException("Expected a network of one VariationalAutoencoder layer, found "
          + net.getnLayers() + " layers starting with " + net.getLayer(0).conf().getLayer().getClass().getSimpleName());
    }
    return new VaeMaths(net);
  }

  public int featureCount() {
    return featureCount;
  }

  public int latentSize() {
    return latentSize;
  }

  /** p(x|z). */
  public ReconstructionDistribution distribution() {
    return distribution;
  }

  /** The VAE of a model directory (any Hadoop path), checksum verified. */
  public static VaeMaths load(String modelDir) throws java.io.IOException {
    return of(ModelArtifact.load(modelDir, new org.apache.hadoop.conf.Configuration()).network());
  }

  /** The last encoder hidden layer for rows {@code x} (batch × features). */
  private INDArray encoderHidden(INDArray x) {
    INDArray h = x;
    for (INDArray[] layer : encoder) {
      h = hidden.getActivation(h.mmul(layer[0]).addiRowVector(layer[1]), false);
    }
    return h;
  }

  /**
   * Mean and log-variance of q(z|x) side by side: batch × (2 · latent), the mean in the first {@link #latentSize()}
   * columns. No decoder and no sampling.
   */
  public INDArray encodeJoint(INDArray x) {
    return latent.getActivation(encoderHidden(x).mmul(headW).addiRowVector(headB), false);
  }

  /** Mean and log-variance of q(z|x), each batch × latent (views of {@link #encodeJoint}). */
  public INDArray[] encode(INDArray x) {
    INDArray joint = encodeJoint(x);
    return new INDArray[] {
        joint.get(NDArrayIndex.all(), NDArrayIndex.interval(0, latentSize)),
        joint.get(NDArrayIndex.all(), NDArrayIndex.interval(latentSize, 2L * latentSize))};
  }

  /** Pre-activation parameters of p(x|z) for latent rows {@code z}. */
  public INDArray decodePreOutput(INDArray z) {
    INDArray d = z;
    for (INDArray[] layer : decoder) {
      d = hidden.getActivation(d.mmul(layer[0]).addiRowVector(layer[1]), false);
    }
    return d.mmul(outW).addiRowVector(outB);
  }

  /**
   * Negative ELBO of each row: KL(q(z|x) ‖ N(0, I)) in closed form plus −log p(x|z) ({@link LogLikelihood}) at one
   * z drawn from q(z|x) by reparameterisation. The noise comes from ND4J's random generator; seed it for repeatable
   * values. The scorers draw theirs per row instead ({@code BatchScorer}), so a row's value there does not depend on
   * its batch.
   *
   * @return a vector of batch values, in nats
   */
  public INDArray negativeElbo(INDArray x) {
    INDArray[] q = encode(x);
    INDArray mean = q[0];
    INDArray logVar = q[1];
    INDArray variance = Transforms.exp(logVar, true);
    INDArray kl = variance.add(mean.mul(mean)).subi(logVar).subi(1.0).sum(1).muli(0.5);
    INDArray noise = Nd4j.randn(x.dataType(), x.size(0), latentSize);
    INDArray z = Transforms.sqrt(variance, false).muli(noise).addi(mean);
    float[] logPxz = LogLikelihood.perRow(distribution, x, decodePreOutput(z));
    return kl.subi(Nd4j.createFromArray(logPxz).castTo(kl.dataType()).reshape(kl.shape()));
  }
}
