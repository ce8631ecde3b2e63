package dev.sparkvae.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.impl.ActivationCube;
import org.nd4j.linalg.api.ndarray.INDArray;

class ModelArtifactTest {
  @TempDir Path dir;
  private final Configuration hadoop = new Configuration();

  private ModelArtifact artifact(MultiLayerNetwork net) {
    ModelInfo info = TestNets.info(TestNets.SPEC, TestNets.FEATURES);
    return new ModelArtifact(info, net, List.of(new EpochMetrics(1, 300, 310, 1.5, 100)));
  }

  @Test
  void savedModelReloadsWithIdenticalOutputsAndMetadata() throws Exception {
    MultiLayerNetwork net = TestNets.network(3);
    String target = dir.resolve("model").toString();
    ModelArtifact written = artifact(net).save(target, hadoop, false);

    assertThat(written.info().modelSha256()).hasSize(64);
    assertThat(dir.resolve("model")).isDirectoryContaining("glob:**/model.zip")
        .isDirectoryContaining("glob:**/model.json").isDirectoryContaining("glob:**/metrics.json")
        .isDirectoryContaining("glob:**/_SUCCESS").isDirectoryContaining("glob:**/encoder.onnx")
        .isDirectoryContaining("glob:**/decoder.onnx");
    assertThat(written.info().onnx().encoder().file()).isEqualTo("encoder.onnx");
    assertThat(written.info().onnx().decoder().file()).isEqualTo("decoder.onnx");
    assertThat(Files.list(dir).count()).as("no staging directory left").isEqualTo(1);
    String metrics = Files.readString(dir.resolve("model/metrics.json"));
    assertThat(metrics).contains("\"train_neg_elbo\" : 300.0", "\"test_neg_elbo\" : 310.0", "\"examples\" : 100");

    ModelArtifact loaded = ModelArtifact.load(target, hadoop);
    INDArray x = TestNets.data(10, 4);
    assertThat(loaded.network().output(x)).isEqualTo(net.output(x));
    assertThat(loaded.network().params()).isEqualTo(net.params());
    assertThat(loaded.network().getUpdater().getStateViewArray()).isEqualTo(net.getUpdater().getStateViewArray());
    assertThat(loaded.info()).isEqualTo(written.info());
    assertThat(loaded.metrics()).isEqualTo(written.metrics());
  }

  @Test
  void aNetworkTheExportersCannotExpressSavesWithoutOnnx() throws Exception {
    MultiLayerConfiguration conf = VaeNetworks.configuration(TestNets.SPEC, TestNets.train(1), TestNets.FEATURES);
    ((VariationalAutoencoder) conf.getConf(0).getLayer()).setActivationFn(new ActivationCube());
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    String target = dir.resolve("model").toString();
    ModelArtifact written = artifact(net).save(target, hadoop, false);

    assertThat(written.info().onnx()).isNull();
    assertThat(dir.resolve("model")).isDirectoryContaining("glob:**/_SUCCESS")
        .isDirectoryNotContaining("glob:**/*.onnx");
    assertThat(Files.readString(dir.resolve("model/model.json"))).contains("\"onnx\" : null");
    assertThat(ModelArtifact.load(target, hadoop).info()).isEqualTo(written.info());
  }

  @Test
  void refusesToOverwriteUnlessAsked() throws Exception {
    String target = dir.resolve("model").toString();
    artifact(TestNets.network(3)).save(target, hadoop, false);
    assertThatThrownBy(() -> artifact(TestNets.network(4)).save(target, hadoop, false))
        .hasMessage("Cannot write " + target + ": it already exists (pass --overwrite to replace it)");
    artifact(TestNets.network(4)).save(target, hadoop, true);
    assertThat(ModelArtifact.load(target, hadoop).network().params()).isEqualTo(TestNets.network(4).params());
  }

  @Test
  void reportsMissingAndCorruptModels() throws Exception {
    String missing = dir.resolve("none").toString();
    assertThatThrownBy(() -> ModelArtifact.load(missing, hadoop))
        .hasMessage("Cannot load model from " + missing + ": the directory does not exist");

    String target = dir.resolve("model").toString();
    String sha = artifact(TestNets.network(3)).save(target, hadoop, false).info().modelSha256();
    Path zip = dir.resolve("model/model.zip");
    byte[] bytes = Files.readAllBytes(zip);
    bytes[bytes.length / 2] ^= 1;
    Files.write(zip, bytes);
    assertThatThrownBy(() -> ModelArtifact.load(target, hadoop))
        .as("the file system's own checksum catches a corrupt local file first")
        .hasMessageStartingWith("Cannot load model from " + target + ": model.zip is corrupt (Checksum error: ");
    Files.delete(dir.resolve("model/.model.zip.crc"));
    assertThatThrownBy(() -> ModelArtifact.load(target, hadoop))
        .hasMessageStartingWith("Cannot load model from " + target + ": model.zip has sha256 ")
        .hasMessageEndingWith(" but model.json records " + sha + " (corrupt or replaced)");

    Files.delete(dir.resolve("model/model.json"));
    assertThatThrownBy(() -> ModelArtifact.load(target, hadoop))
        .hasMessage("Cannot load model from " + target + ": model.json is missing");
  }
}
