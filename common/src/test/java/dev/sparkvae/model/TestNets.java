package dev.sparkvae.model;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.data.FeatureSchema;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Small VAEs and data for tests. */
public final class TestNets {
  public static final int FEATURES = 20;
  public static final VaeSpec SPEC = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, "relu", "bernoulli");

  private TestNets() {}

  public static TrainSettings train(long seed) {
    return TrainSettings.from(Settings.load(null, null, List.of("train.seed=" + seed)));
  }

  public static MultiLayerNetwork network(long seed) {
    return VaeNetworks.create(SPEC, train(seed), FEATURES);
  }

  /** The model.json of a test model of {@code spec} over {@code featureCount} features, before saving. */
  public static ModelInfo info(VaeSpec spec, int featureCount) {
    return new ModelInfo(ModelInfo.FORMAT_VERSION,
        new FeatureSchema("id", "label", "features", List.of(), featureCount), spec,
        JsonNodeFactory.instance.objectNode().put("k", 1), Map.of("spark-vae", "test"), null, "now", 2, 100, 0.99, 300.0,
        null, null, "anomaly_score", 100L);
  }

  /** Rows of values in [0, 1]. */
  public static INDArray data(int rows, long seed) {
    return Nd4j.rand(Nd4j.getRandomFactory().getNewRandomInstance(seed), rows, FEATURES).castTo(DataType.FLOAT);
  }

  /** The array's values in row-major order, whatever its own order. */
  public static float[] rowMajor(INDArray array) {
    return array.dup('c').data().asFloat();
  }
}
