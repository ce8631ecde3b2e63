package dev.sparkvae.bench;

import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.inference.BatchScorer;
import dev.sparkvae.inference.Nd4jScorer;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.training.VaePretrainingStep;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * Single-process training, no Spark: the same {@link VaePretrainingStep} the Spark workers run, over minibatches
 * of {@code train.batch-size-per-worker} rows reshuffled every epoch, from the same initial network (same seed).
 * This is the baseline the Spark runs are compared with.
 */
final class LocalTraining {
  /** One epoch: training seconds (batching included, evaluation excluded) and the test −ELBO after it. */
  record Epoch(int epoch, double seconds, long examples, double testNegElbo) {}

  /** Rows per scored batch of test rows, as in the train job ({@code train.eval-batch-size}). */
  private static final int TEST_BATCH = 1000;

  private LocalTraining() {}

  /** Trains {@code train.epochs()} epochs; the network is left trained. */
  static List<Epoch> run(MultiLayerNetwork net, TrainSettings train, float[][] images, float[][] test)
      throws IOException {
    int features = images[0].length;
    List<Integer> order = new ArrayList<>(images.length);
    for (int i = 0; i < images.length; i++) {
      order.add(i);
    }
    FeatureBatcher batcher = new FeatureBatcher(train.batchSizePerWorker(), features);
    List<Epoch> epochs = new ArrayList<>();
    long step = 0;
    for (int epoch = 1; epoch <= train.epochs(); epoch++) {
      long start = System.nanoTime();
      Collections.shuffle(order, new Random(NoiseSeeds.of(train.seed(), -1, epoch)));
      for (int i = 0; i < order.size(); i++) {
        if (batcher.add(images[order.get(i)]) || i == order.size() - 1) {
          VaePretrainingStep.fit(net, batcher.take(), NoiseSeeds.of(train.seed(), 0, step++));
        }
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      epochs.add(new Epoch(epoch, seconds, images.length, testNegElbo(net, test)));
    }
    return epochs;
  }

  /**
   * Mean negative ELBO per test row (nats) as the train job and {@code evaluate} compute it for {@code net} saved as a
   * model ({@link Nd4jScorer}, each row's noise seeded by the model's checksum and its id), the ids the rows' 0-based
   * positions as {@code import} gives them: the same figure for every run of the benchmark, Spark's included.
   */
  static double testNegElbo(MultiLayerNetwork net, float[][] test) throws IOException {
    BatchScorer scorer = new Nd4jScorer(VaeMaths.of(net), 1, false, BatchScorer.seedOf(ModelArtifact.sha256Of(net)));
    FeatureBatcher batcher = new FeatureBatcher(TEST_BATCH, test[0].length);
    long[] ids = new long[TEST_BATCH];
    double sum = 0;
    for (int i = 0; i < test.length; i++) {
      ids[batcher.size()] = i;
      if (batcher.add(test[i]) || i == test.length - 1) {
        for (float negativeElbo : scorer.score(batcher.buffer(), batcher.size(), ids).negativeElbo()) {
          sum += negativeElbo;
        }
        batcher.clear();
      }
    }
    return sum / test.length;
  }
}
