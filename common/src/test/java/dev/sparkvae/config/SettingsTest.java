package dev.sparkvae.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {
  @TempDir Path dir;

  @Test
  void defaultsGiveTypedSettings() {
    Settings settings = Settings.defaults();
    VaeSpec spec = VaeSpec.from(settings);
    TrainSettings train = TrainSettings.from(settings);
    assertThat(spec.encoderSizes()).containsExactly(256, 256);
    assertThat(spec.latentSize()).isEqualTo(16);
    assertThat(spec.distribution()).isEqualTo("bernoulli");
    assertThat(train.updater()).isEqualTo("adam");
    assertThat(train.batchSizePerWorker()).isEqualTo(64);
    assertThat(DataSettings.from(settings).featuresColumn()).isEqualTo("features");
  }

  @Test
  void laterLayersWin() throws Exception {
    File recipe = write("recipe.conf", "vae { latent-size = 20, encoder-sizes = [400] }\ntrain.epochs = 7");
    Settings settings = Settings.load(null, recipe, List.of("vae.latent-size=32", "train.updater=SGD"));
    assertThat(VaeSpec.from(settings).latentSize()).as("--set wins over the file").isEqualTo(32);
    assertThat(VaeSpec.from(settings).encoderSizes()).containsExactly(400);
    assertThat(TrainSettings.from(settings).epochs()).isEqualTo(7);
    assertThat(TrainSettings.from(settings).updater()).as("choices are case-insensitive").isEqualTo("sgd");
  }

  @Test
  void unknownKeyIsRejectedWithItsOrigin() {
    assertThatThrownBy(() -> Settings.load(null, null, List.of("vae.latnt-size=3")))
        .isInstanceOf(InvalidSettingException.class)
        .hasMessage("Unknown setting vae.latnt-size (from --set vae.latnt-size=3: 1); known settings: "
            + "vae.activation, vae.decoder-sizes, vae.distribution, vae.encoder-sizes, vae.latent-size");
  }

  @Test
  void unknownKeyInAFileNamesTheFile() throws Exception {
    File recipe = write("bad.conf", "train {\n  epocs = 3\n}");
    assertThatThrownBy(() -> Settings.load(null, recipe, List.of()))
        .hasMessageStartingWith("Unknown setting train.epocs (from " + recipe.getPath() + ": 2)");
  }

  @Test
  void badValuesNameKeyValueAndRule() {
    assertThatThrownBy(() -> VaeSpec.from(Settings.load(null, null, List.of("vae.latent-size=-3"))))
        .hasMessage("Cannot set vae.latent-size to -3 (from --set vae.latent-size=-3: 1): "
            + "the value must be a positive integer");
    assertThatThrownBy(() -> VaeSpec.from(Settings.load(null, null, List.of("vae.distribution=poisson"))))
        .hasMessage("Cannot set vae.distribution to \"poisson\" (from --set vae.distribution=poisson: 1): "
            + "the value must be one of bernoulli, gaussian");
    assertThatThrownBy(() -> TrainSettings.from(Settings.load(null, null, List.of("train.learning-rate=fast"))))
        .hasMessage("Cannot set train.learning-rate to \"fast\" (from --set train.learning-rate=fast: 1): "
            + "the value must be a positive number");
    assertThatThrownBy(() -> TrainSettings.from(Settings.load(null, null, List.of("train.validation-fraction=1"))))
        .hasMessageEndingWith("the value must be a number from 0 (inclusive) to 1 (exclusive)");
    assertThatThrownBy(() -> TrainSettings.from(Settings.load(null, null, List.of("train.outer-momentum=1"))))
        .hasMessage("Cannot set train.outer-momentum to 1.0 (from --set train.outer-momentum=1: 1): the momentum "
            + "must be at least 0 and below 1");
    assertThatThrownBy(() -> TrainSettings.from(Settings.load(null, null, List.of("train.outer-learning-rate=0"))))
        .hasMessageEndingWith("the value must be a positive number");
    assertThatThrownBy(() -> VaeSpec.from(Settings.load(null, null, List.of("vae.encoder-sizes=[]"))))
        .hasMessageEndingWith("the value must be a list of positive integers with at least one element");
  }

  @Test
  void malformedOverrideAndMissingFileAreReported() {
    assertThatThrownBy(() -> Settings.load(null, null, List.of("vae.latent-size")))
        .hasMessage("Cannot apply --set vae.latent-size: the form is --set key=value, e.g. --set vae.latent-size=32");
    File missing = dir.resolve("nope.conf").toFile();
    assertThatThrownBy(() -> Settings.load(null, missing, List.of()))
        .hasMessage("Cannot read settings file " + missing + ": it does not exist");
  }

  @Test
  void sparkConfIsFreeForm() throws Exception {
    File cluster = write("c.conf", "cluster { master = \"local[2]\"\n spark-conf { \"spark.executor.memory\" = 2g } }");
    Settings settings = Settings.load(cluster, null, List.of());
    assertThat(settings.string("cluster.master")).isEqualTo("local[2]");
    assertThat(settings.stringMap("cluster.spark-conf")).containsEntry("spark.executor.memory", "2g");
  }

  private File write(String name, String content) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(file, content);
    return file.toFile();
  }
}
