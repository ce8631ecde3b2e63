package dev.sparkvae.jobs;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.model.ModelArtifact;
import dev.sparkvae.model.ModelInfo;
import dev.sparkvae.model.VaeNetworks;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/** Model directories for tests: seeded (untrained) weights, written exactly as train writes them. */
public final class TestModels {
  private TestModels() {}

  /** Writes a model for {@code featureCount} features with the given anomaly threshold; returns its network. */
  public static MultiLayerNetwork write(String path, int featureCount, double threshold) throws Exception {
    return write(path, new FeatureSchema("id", "label", "features", List.of(), featureCount), threshold);
  }

  /** Writes a model for the given feature schema with the given anomaly threshold; returns its network. */
  public static MultiLayerNetwork write(String path, FeatureSchema schema, double threshold) throws Exception {
    Settings settings = TestSpark.smallRecipe();
    VaeSpec spec = VaeSpec.from(settings);
    MultiLayerNetwork net = VaeNetworks.create(spec, TrainSettings.from(settings), schema.featureCount());
    ModelInfo info = new ModelInfo(ModelInfo.FORMAT_VERSION, schema, spec,
        JsonNodeFactory.instance.objectNode(), Map.of(), null, "now", 0, 0, 0.99, threshold, null, null, null, null);
    new ModelArtifact(info, net, List.of()).save(path, new Configuration(), false);
    return net;
  }
}
