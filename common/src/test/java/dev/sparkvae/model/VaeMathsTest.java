package dev.sparkvae.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class VaeMathsTest {
  @Test
  void latentMeanEqualsTheLayerOutput() {
    MultiLayerNetwork net = TestNets.network(7);
    INDArray x = TestNets.data(50, 1);
    INDArray[] q = VaeMaths.of(net).encode(x);
    assertThat(q[0].shape()).containsExactly(50, 4);
    assertThat(q[0].equalsWithEps(net.output(x), 1e-5)).as("z_mean equals DL4J's own output").isTrue();
    assertThat(q[1].equalsWithEps(q[0], 1e-3)).as("log-variance is a different head").isFalse();
  }

  @Test
  void negativeElboEqualsTheLayerScoreForTheSameNoise() {
    MultiLayerNetwork net = TestNets.network(7);
    INDArray x = TestNets.data(64, 2);
    Nd4j.getRandom().setSeed(99);
    double ours = VaeMaths.of(net).negativeElbo(x).meanNumber().doubleValue();

    net.initGradientsView();
    var layer = net.getLayer(0);
    LayerWorkspaceMgr workspaces = LayerWorkspaceMgr.noWorkspaces();
    Nd4j.getRandom().setSeed(99);
    layer.setInput(x, workspaces);
    layer.computeGradientAndScore(workspaces);
    assertThat(ours).as("mean -ELBO vs DL4J's pretrain score").isCloseTo(layer.score(),
        org.assertj.core.data.Offset.offset(1e-3 * Math.abs(layer.score())));
    assertThat(ours).isPositive();
  }

  /**
   * With a decoder that ignores z, −log p(x|z) is the same at every z, so the training negative ELBO is exactly the
   * closed-form KL(q(z|x) ‖ N(0, I)) plus −log N(x; b, diag(σ²)), to float rounding.
   */
  @Test
  void negativeElboIsTheClosedFormKlPlusTheReconstructionTerm() {
    LinearGaussianVae vae = LinearGaussianVae.example().withUnrelatedEncoder().withDecoderIgnoringZ();
    float[] rows = vae.sample(20, 8);
    INDArray x = Nd4j.create(rows, new long[] {20, vae.featureCount()});
    float[] negativeElbo = VaeMaths.of(vae.network()).negativeElbo(x).toFloatVector();
    for (int r = 0; r < 20; r++) {
      double[] row = vae.row(rows, r);
      double expected = vae.klToPrior(row) - vae.logLikelihood(row, new double[vae.latentSize()]);
      assertThat((double) negativeElbo[r]).as("−ELBO of row %d", r)
          .isCloseTo(expected, within(5e-7 * Math.abs(expected)));
    }
  }
}
