package dev.sparkvae.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sparkvae.model.TestNets;
import dev.sparkvae.model.VaeMaths;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

class Nd4jScorerTest {
  private final MultiLayerNetwork net = TestNets.network(17);
  private final VaeMaths model = VaeMaths.of(net);

  private static long[] ids(int from, int count) {
    long[] ids = new long[count];
    for (int i = 0; i < count; i++) {
      ids[i] = from + i;
    }
    return ids;
  }

  @Test
  void aRowsScoresDependOnlyOnTheRowItsIdAndTheModel() {
    INDArray x = TestNets.data(30, 3);
    Nd4jScorer scorer = new Nd4jScorer(model, 8, false, 42);
    BatchScorer.Scores all = scorer.score(x, ids(100, 30));
    BatchScorer.Scores alone = scorer.score(x.get(NDArrayIndex.interval(29, 30), NDArrayIndex.all()).dup(),
        new long[] {129});
    // The same noise in any batch; BLAS may round a row's GEMM differently at another batch size (the last bit).
    assertThat(alone.logProb()[0]).as("same value in any batch").isCloseTo(all.logProb()[29],
        within(1e-6f * Math.abs(all.logProb()[29])));
    assertThat(alone.reconstructionError()[0]).isCloseTo(all.reconstructionError()[29],
        within(1e-6f * all.reconstructionError()[29]));
    BatchScorer.Scores again = scorer.score(x, ids(100, 30));
    assertThat(again.logProb()).as("repeatable").containsExactly(all.logProb());
    BatchScorer.Scores otherModelSeed = new Nd4jScorer(model, 8, false, 43).score(x, ids(100, 30));
    assertThat(otherModelSeed.logProb()).isNotEqualTo(all.logProb());
  }

  @Test
  void reconstructionErrorIsTheBernoulliNegativeLogLikelihoodAtTheLatentMean() {
    INDArray x = TestNets.data(5, 5);
    BatchScorer.Scores scores = new Nd4jScorer(model, 0, true, 1).score(x, ids(0, 5));
    assertThat(scores.logProb()).isNull();
    assertThat(scores.joint()).hasSize(5 * 2 * model.latentSize());
    float[] p = scores.reconstruction();
    assertThat(p).hasSize(5 * TestNets.FEATURES);
    for (int r = 0; r < 5; r++) {
      double nll = 0;
      for (int f = 0; f < TestNets.FEATURES; f++) {
        double xi = x.getDouble(r, f);
        double pi = p[r * TestNets.FEATURES + f];
        nll -= xi * Math.log(pi) + (1 - xi) * Math.log(1 - pi);
      }
      assertThat((double) scores.reconstructionError()[r]).isCloseTo(nll, within(1e-3 * nll));
    }
    INDArray mean = net.output(x);
    for (int r = 0; r < 5; r++) {
      for (int j = 0; j < model.latentSize(); j++) {
        assertThat((double) scores.joint()[r * 2 * model.latentSize() + j]).isCloseTo(mean.getDouble(r, j),
            within(1e-5));
      }
    }
  }
}
