package dev.sparkvae.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TrainSettingsTest {
  /** The defaults, resolved for W workers: rate 0.001·√W, rounds of 64 minibatches in all, at least 8 each. */
  @ParameterizedTest(name = "{0} workers")
  @CsvSource({"1, 64", "2, 32", "3, 21", "4, 16", "8, 8", "16, 8", "128, 8"})
  void theDefaultsScaleWithTheWorkers(int workers, int averagingFrequency) {
    TrainSettings train = TrainSettings.from(Settings.defaults()).forWorkers(workers);
    assertThat(train.learningRate()).isCloseTo(0.001 * Math.sqrt(workers), within(1e-15));
    assertThat(train.averagingFrequency()).isEqualTo(averagingFrequency);
    assertThat(train.workers()).isEqualTo(workers);
    assertThat(train.outerStep()).as("an outer step from 2 workers on").isEqualTo(workers > 1);
    if (workers > 1) {
      assertThat(train.outerMomentum()).isEqualTo(0.9);
      assertThat(train.outerLearningRate()).isEqualTo(0.7);
    }
  }

  @ParameterizedTest(name = "{0} rounds an epoch")
  @CsvSource({"1", "3", "4", "14"})
  void epochsOfFewerThanFourRoundsTakeThePlainAverage(long rounds) {
    TrainSettings train = TrainSettings.from(Settings.defaults()).forWorkers(8).forRoundsPerEpoch(rounds);
    assertThat(train.outerStep()).isEqualTo(rounds >= 4);
    assertThat(train.outerMomentum()).isEqualTo(rounds >= 4 ? 0.9 : 0);
    assertThat(train.outerLearningRate()).isEqualTo(rounds >= 4 ? 0.7 : 1);
    assertThat(train.learningRate()).as("the rate stays scaled").isCloseTo(0.001 * Math.sqrt(8), within(1e-15));
  }

  @ParameterizedTest(name = "{0} workers")
  @CsvSource({"1", "2", "8"})
  void explicitSettingsAreKept(int workers) {
    TrainSettings train = TrainSettings.from(Settings.load(null, null, List.of("train.learning-rate-scaling=none",
        "train.learning-rate=0.01", "train.averaging-frequency=5", "train.outer-momentum=0.5",
        "train.outer-learning-rate=0.9"))).forWorkers(workers);
    assertThat(train.learningRate()).isEqualTo(0.01);
    assertThat(train.averagingFrequency()).isEqualTo(5);
    assertThat(train.outerMomentum()).isEqualTo(workers > 1 ? 0.5 : 0);
    assertThat(train.outerLearningRate()).isEqualTo(workers > 1 ? 0.9 : 1);
  }
}
