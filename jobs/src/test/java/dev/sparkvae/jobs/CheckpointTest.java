package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.config.Settings;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.training.TrainingDivergedException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Checkpoints, resume and the divergence guard of {@code train}, on real local Spark. */
class CheckpointTest {
  @TempDir Path dir;

  private TrainJob.Result train(String model, boolean overwrite, boolean resume, String... settings)
      throws Exception {
    Settings recipe = TestSpark.smallRecipe(settings);
    return new TrainJob(TestSpark.session(), recipe, new TrainJob.Options()
        .input(TestSpark.SAMPLE.resolve("train").toString()).test(TestSpark.SAMPLE.resolve("test").toString())
        .model(model).overwrite(overwrite).resume(resume)).run();
  }

  private List<String> checkpoints(String model) throws Exception {
    try (Stream<Path> entries = Files.list(Path.of(model + ".checkpoints"))) {
      return entries.map(p -> p.getFileName().toString()).filter(name -> !name.startsWith(".")).sorted().toList();
    }
  }

  /** The plain average, and an outer step with momentum, whose velocity the checkpoint must carry. */
  @ParameterizedTest(name = "outer momentum {0}, outer learning rate {1}")
  @CsvSource({"0.0, 1.0", "0.9, 0.7"})
  void aResumedRunContinuesTheEpochsAndEndsWhereAnUninterruptedRunEnds(double momentum, double outerRate)
      throws Exception {
    String outer = "train.outer-momentum=" + momentum;
    String outerLr = "train.outer-learning-rate=" + outerRate;
    String uninterrupted = dir.resolve("uninterrupted").toString();
    TrainJob.Result whole = train(uninterrupted, false, false, "train.epochs=3", outer, outerLr);
    assertThat(checkpoints(uninterrupted)).as("the newest 2 kept, and the metrics")
        .containsExactly("epoch-0002", "epoch-0003", "metrics.json");
    JsonNode watched = JsonFiles.MAPPER.readTree(Path.of(uninterrupted + ".checkpoints/metrics.json").toFile());
    assertThat(watched.size()).isEqualTo(3);

    String interrupted = dir.resolve("interrupted").toString();
    train(interrupted, false, false, "train.epochs=2", outer, outerLr);
    assertThat(Files.exists(Path.of(interrupted + ".checkpoints/epoch-0002/outer-velocity.bin")))
        .as("the outer velocity saved").isEqualTo(momentum > 0);
    // As if the driver died after the second epoch's checkpoint, before the model was written.
    deleteRecursively(Path.of(interrupted));
    TrainJob.Result resumed = train(interrupted, false, true, "train.epochs=3", outer, outerLr);

    assertThat(resumed.resumedAfterEpoch()).isEqualTo(2);
    assertThat(resumed.metrics()).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
    assertThat(resumed.metrics().subList(0, 2)).extracting(EpochMetrics::testNegElbo)
        .as("the epochs before the interruption, from the checkpoint")
        .containsExactlyElementsOf(whole.metrics().subList(0, 2).stream().map(EpochMetrics::testNegElbo).toList());
    // Everything an epoch computes is seeded from the run seed, the epoch, the partition and the iteration, and a
    // checkpoint holds the parameters, Adam's state and the counters to the bit: resuming changes nothing.
    assertThat(resumed.metrics().get(2)).as("the final epoch's figures, time aside")
        .usingRecursiveComparison().ignoringFields("seconds").isEqualTo(whole.metrics().get(2));
    assertThat(resumed.artifact().network().params()).as("the final parameters")
        .isEqualTo(whole.artifact().network().params());
    INDArray adam = whole.artifact().network().getUpdater().getStateViewArray();
    assertThat(adam.amaxNumber().doubleValue()).as("Adam's moments moved").isPositive();
    assertThat(resumed.artifact().network().getUpdater().getStateViewArray()).as("the final updater state")
        .isEqualTo(adam);
    assertThat(resumed.artifact().network().getLayerWiseConfigurations().getIterationCount())
        .as("the iteration counter continued").isEqualTo(whole.artifact().network().getLayerWiseConfigurations()
            .getIterationCount());
  }

  @Test
  void aCorruptNewestCheckpointIsPassedOverAndAChangedRecipeRefused() throws Exception {
    String model = dir.resolve("model").toString();
    train(model, false, false, "train.epochs=2");
    deleteRecursively(Path.of(model));
    try (RandomAccessFile zip = new RandomAccessFile(model + ".checkpoints/epoch-0002/model.zip", "rw")) {
      zip.setLength(zip.length() / 2);
    }

    assertThatThrownBy(() -> train(model, false, true, "train.epochs=3", "vae.latent-size=4"))
        .hasMessage("Cannot resume from file:" + model + ".checkpoints/epoch-0001: vae.latent-size is 4 now but was 8 "
            + "in the checkpoint (set it back, or start over with --overwrite)");
    assertThatThrownBy(() -> train(model, false, false, "train.epochs=3"))
        .hasMessage("Cannot start training: " + model + ".checkpoints holds the checkpoints of an earlier run (pass "
            + "--resume to continue it, or --overwrite to start over)");

    TrainJob.Result resumed = train(model, false, true, "train.epochs=3");
    assertThat(resumed.resumedAfterEpoch()).as("epoch 2's checkpoint is corrupt").isEqualTo(1);
    assertThat(resumed.metrics()).extracting(EpochMetrics::epoch).containsExactly(1, 2, 3);
  }

  @Test
  void divergenceStopsNamingEpochAndRoundAndKeepsTheLastGoodCheckpoint() throws Exception {
    String model = dir.resolve("model").toString();
    train(model, false, false, "train.epochs=1");
    deleteRecursively(Path.of(model));

    assertThatThrownBy(() -> train(model, false, true, "train.epochs=2", "train.learning-rate=1e12"))
        .isInstanceOf(TrainingDivergedException.class)
        .hasMessageStartingWith("Training diverged in epoch 2 of 2, round ")
        .hasMessageContaining(": the negative ELBO is ")
        .hasMessageEndingWith("(try a lower train.learning-rate); the last good checkpoint is file:" + model
            + ".checkpoints/epoch-0001");
    assertThat(checkpoints(model)).containsExactly("epoch-0001", "metrics.json");
    assertThat(dir.resolve("model")).doesNotExist();

    TrainJob.Result resumed = train(model, false, true, "train.epochs=2");
    assertThat(resumed.resumedAfterEpoch()).as("a lower learning rate may resume").isEqualTo(1);
    assertThat(Double.isFinite(resumed.metrics().get(1).testNegElbo())).isTrue();
  }

  /** Deletes a directory and everything in it. */
  static void deleteRecursively(Path path) throws Exception {
    try (Stream<Path> all = Files.walk(path)) {
      all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
    }
  }
}
