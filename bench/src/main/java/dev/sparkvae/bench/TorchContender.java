package dev.sparkvae.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import dev.sparkvae.model.VaeLayers.Dense;
import dev.sparkvae.model.VaeLayers;
import java.util.ArrayList;
import java.util.List;

/**
 * libtorch through DJL's PyTorch engine: the same encoder built from the same weights with {@code torch::linear}
 * (what {@code nn.Linear} runs) and the activation per layer, on NDArrays prepared once per batch. Offline: the
 * natives come from the pytorch-native-cpu jar on the classpath ({@link #engine} sets DJL's offline switch).
 */
final class TorchContender extends Contender {
  private final NDManager manager;
  private final List<NDArray[]> layers = new ArrayList<>();
  private final List<VaeLayers.Activation> activations = new ArrayList<>();
  private final int outputWidth;
  private NDManager batchManager;
  private NDArray[] inputs = new NDArray[0];

  TorchContender(Engine engine, List<Dense> encoder) {
    super("libtorch " + engine.getVersion() + " via DJL (torch::linear)");
    manager = engine.newBaseManager();
    for (Dense dense : encoder) {
      layers.add(new NDArray[] {
          manager.create(transpose(dense.weights(), dense.inputs(), dense.outputs()),
              new Shape(dense.outputs(), dense.inputs())),
          manager.create(dense.bias())});
      activations.add(dense.activation());
    }
    outputWidth = encoder.get(encoder.size() - 1).outputs();
  }

  /** DJL's PyTorch engine, offline, with {@code threads} intra-op threads and one inter-op thread. */
  static Engine engine(int threads) {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    return Engine.getEngine("PyTorch");
  }

  /** Row-major inputs × outputs to row-major outputs × inputs, the layout of torch::linear's weight. */
  private static float[] transpose(float[] weights, int inputs, int outputs) {
    float[] transposed = new float[weights.length];
    for (int i = 0; i < inputs; i++) {
      for (int o = 0; o < outputs; o++) {
        transposed[o * inputs + i] = weights[i * outputs + o];
      }
    }
    return transposed;
  }

  @Override
  void prepare(Batches batches) {
    closeInputs();
    batchManager = manager.newSubManager();
    inputs = new NDArray[batches.size()];
    for (int b = 0; b < batches.size(); b++) {
      inputs[b] = batchManager.create(batches.rows()[b], new Shape(batches.counts()[b], batches.featureCount()));
    }
  }

  @Override
  void encodeAll(float[] out) {
    int offset = 0;
    for (NDArray x : inputs) {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        NDArray h = x;
        for (int i = 0; i < layers.size(); i++) {
          h = activate(Linear.linear(h, layers.get(i)[0], layers.get(i)[1]).singletonOrThrow(), activations.get(i));
        }
        if (out != null) {
          float[] values = h.toFloatArray();
          System.arraycopy(values, 0, out, offset, values.length);
          offset += values.length;
        }
      }
    }
  }

  private static NDArray activate(NDArray x, VaeLayers.Activation activation) {
    return switch (activation.function()) {
      case RELU -> Activation.relu(x);
      case LEAKYRELU -> Activation.leakyRelu(x, activation.alpha());
      case TANH -> Activation.tanh(x);
      case SIGMOID -> Activation.sigmoid(x);
      case ELU -> Activation.elu(x, activation.alpha());
      case SOFTPLUS -> Activation.softPlus(x);
      case IDENTITY -> x;
    };
  }

  @Override
  int outputWidth() {
    return outputWidth;
  }

  private void closeInputs() {
    if (batchManager != null) {
      batchManager.close();
      batchManager = null;
    }
    inputs = new NDArray[0];
  }

  @Override
  public void close() {
    closeInputs();
    manager.close();
  }
}
