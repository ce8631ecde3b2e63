package dev.sparkvae.train;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One unsupervised VAE training step on a {@link MultiLayerNetwork} whose only layer is a VariationalAutoencoder,
 * applied with the <em>network's</em> updater.
 *
 * <p>Why not {@code net.fit}: it needs an output layer. Why not {@code net.pretrainLayer}: it trains through a
 * per-layer solver with its own updater, so the network-level updater state (Adam's moments), which parameter
 * averaging averages and broadcasts, would never move, and the network's score stays 0. Here the layer computes
 * the ELBO gradient into the network's gradient view, every updater block of the network (decoder blocks
 * included, which the network's own supervised update skips) turns it into an update, and the update is
 * subtracted from the parameters. The network's iteration count advances by one.
 */
public final class VaePretrainingStep {
  private VaePretrainingStep() {}

  /**
   * Fits one minibatch.
   *
   * @param net the network; its parameters and updater state change in place
   * @param features minibatch × features, float
   * @param noiseSeed seeds ND4J's generator for the reparameterisation noise, so a step can be repeated exactly
   * @return the minibatch's mean negative ELBO per example (nats, before this step's update, without the weight
   *     penalty)
   */
  public static double fit(MultiLayerNetwork net, INDArray features, long noiseSeed) {
    if (net.getGradientsViewArray() == null) {
      net.initGradientsView();
    }
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
    int iteration = conf.getIterationCount();
    int epoch = conf.getEpochCount();
    Layer layer = net.getLayer(0);
    LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();

    Nd4j.getRandom().setSeed(noiseSeed);
    layer.setInput(features, workspaces);
    layer.computeGradientAndScore(workspaces);
    double negativeElbo = layer.score() - layer.calcRegularizationScore(false);

    // The layer sums gradients over the minibatch; updaters expect the mean.
    INDArray gradient = net.getGradientsViewArray();
    gradient.divi(features.size(0));
    MultiLayerUpdater updater = (MultiLayerUpdater) net.getUpdater();
    for (UpdaterBlock block : updater.getUpdaterBlocks()) {
      block.update(iteration, epoch);
    }
    INDArray params = net.params();
    params.subi(gradient.reshape(params.shape()));

    conf.setIterationCount(iteration + 1);
    layer.clear();
    net.setScore(negativeElbo);
    return negativeElbo;
  }
}
