package dev.sparkvae.bench;

import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.data.FeatureBatcher;
import dev.sparkvae.model.NoiseSeeds;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.training.VaePretrainingStep;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Single-process training, no Spark: the same {@link VaePretrainingStep} the Spark workers run, over minibatches
 * of {@code train.batch-size-per-worker} rows reshuffled every epoch, from the same initial network (same seed).
 * This is the baseline the Spark runs are compared with.
 */
final class LocalTraining {
  /** One epoch: training seconds (batching included, evaluation excluded) and the test −ELBO after it. */
  record Epoch(int epoch, double seconds, long examples, double testNegElbo) {}

  private LocalTraining() {}

  /** Trains {@code train.epochs()} epochs; the network is left trained. */
  static List<Epoch> run(MultiLayerNetwork net, TrainSettings train, float[][] images, float[][] test) {
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
      epochs.add(new Epoch(epoch, seconds, images.length, testNegElbo(net, test, train.seed())));
    }
    return epochs;
  }

  /**
   * Mean negative ELBO per test row (nats) in batches of 1,000, noise seeded by batch: computed the same way for
   * every run of the benchmark, Spark's included.
   */
  static double testNegElbo(MultiLayerNetwork net, float[][] test, long seed) {
    VaeMaths model = VaeMaths.of(net);
    FeatureBatcher batcher = new FeatureBatcher(1000, test[0].length);
    double sum = 0;
    int batch = 0;
    for (int i = 0; i < test.length; i++) {
      if (batcher.add(test[i]) || i == test.length - 1) {
        Nd4j.getRandom().setSeed(NoiseSeeds.of(seed, 0, batch++));
        sum += model.negativeElbo(batcher.take()).sumNumber().doubleValue();
      }
    }
    return sum / test.length;
  }
}
