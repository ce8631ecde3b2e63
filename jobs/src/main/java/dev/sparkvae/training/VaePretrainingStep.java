package dev.sparkvae.training;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.updater.MultiLayerUpdater;
import org.deeplearning4j.nn.updater.UpdaterBlock;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
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
 *
 * <p>The layer's forward and backward pass allocate their temporaries in an ND4J workspace (memory learned on the
 * first step and reused, instead of new off-heap arrays every step): 1.09–1.15× a step, bit-identical results
 * (bench/RESULTS.md). Danger: the workspace is per thread and stays allocated while the thread lives, about the size
 * of one step's activations (a few MB for a minibatch of 64 rows of 784 features).
 */
public final class VaePretrainingStep {
  /** The workspace of a step's temporaries, one per thread. */
  private static final String WORKSPACE = "SPARKVAE_VAE_STEP";
  private static final WorkspaceConfiguration WORKSPACE_CONFIG = WorkspaceConfiguration.builder()
      .initialSize(0)
      .overallocationLimit(0.02)
      .policyLearning(LearningPolicy.FIRST_LOOP)
      .policyReset(ResetPolicy.BLOCK_LEFT)
      .policySpill(SpillPolicy.REALLOCATE)
      .policyAllocation(AllocationPolicy.OVERALLOCATE)
      .build();
  /** ND4J's generator ignores seed 0 (it keeps its state), so 0 is replaced by this constant. */
  private static final long SEED_FOR_ZERO = 0x9E3779B97F4A7C15L;

  private VaePretrainingStep() {}

  /**
   * Fits one minibatch.
   *
   * @param net the network; its parameters and updater state change in place
   * @param features minibatch × features, float
   * @param noiseSeed seeds ND4J's generator for the reparameterisation noise, so a step can be repeated exactly (any
   *     value, 0 included)
   * @return the minibatch's mean negative ELBO per example (nats, before this step's update, without the weight
   *     penalty), its reconstruction term exact ({@link ExactScoreDistribution}; the gradient is DL4J's)
   */
  @SuppressWarnings("try") // the workspace scope's try only enters and leaves it; the body needs no reference
  public static double fit(MultiLayerNetwork net, INDArray features, long noiseSeed) {
    if (net.getGradientsViewArray() == null) {
      net.initGradientsView();
    }
    MultiLayerConfiguration conf = net.getLayerWiseConfigurations();
    int iteration = conf.getIterationCount();
    int epoch = conf.getEpochCount();
    Layer layer = net.getLayer(0);
    ExactScoreDistribution.install(layer);
    LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.builder().defaultWorkspace(WORKSPACE, WORKSPACE_CONFIG).build();

    Nd4j.getRandom().setSeed(noiseSeed == 0 ? SEED_FOR_ZERO : noiseSeed);
    double negativeElbo;
    // The gradient goes to the network's gradient view, outside the workspace; nothing else outlives the scope.
    try (MemoryWorkspace scope = workspaces.notifyScopeEntered(ArrayType.FF_WORKING_MEM)) {
      layer.setInput(features, workspaces);
      layer.computeGradientAndScore(workspaces);
      negativeElbo = layer.score() - layer.calcRegularizationScore(false);
      layer.clear();
    }

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
    net.setScore(negativeElbo);
    return negativeElbo;
  }
}
