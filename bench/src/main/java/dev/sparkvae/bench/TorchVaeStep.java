package dev.sparkvae.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.List;

/**
 * The peer of one VAE training step in libtorch through DJL's PyTorch engine, as a PyTorch user writes it: ReLU MLP
 * encoder to the latent mean and log-variance (two linear heads), reparameterised sample, ReLU MLP decoder to
 * Bernoulli logits, loss = binary cross-entropy with logits (summed over features) + KL to N(0, I), mean over the
 * minibatch, autograd backward, then Adam (libtorch's fused update). The same shapes and arithmetic as our step;
 * the weights are random (speed only).
 */
final class TorchVaeStep implements AutoCloseable {
  private final Engine engine;
  private final NDManager manager;
  private final List<NDArray[]> encoder = new ArrayList<>();
  private final NDArray[] mean;
  private final NDArray[] logVariance;
  private final List<NDArray[]> decoder = new ArrayList<>();
  private final List<NDArray> parameters = new ArrayList<>();
  private final Adam adam;
  private final int latent;

  /**
   * @param engine DJL's PyTorch engine
   * @param features input width
   * @param encoderSizes hidden widths from the input
   * @param latent latent size
   * @param decoderSizes hidden widths from the latent
   * @param learningRate Adam's
   */
  TorchVaeStep(Engine engine, int features, int[] encoderSizes, int latent, int[] decoderSizes, float learningRate) {
    this.engine = engine;
    this.latent = latent;
    manager = engine.newBaseManager();
    int width = features;
    for (int size : encoderSizes) {
      encoder.add(linear(width, size));
      width = size;
    }
    mean = linear(width, latent);
    logVariance = linear(width, latent);
    width = latent;
    for (int size : decoderSizes) {
      decoder.add(linear(width, size));
      width = size;
    }
    decoder.add(linear(width, features));
    adam = Adam.builder().optLearningRateTracker(Tracker.fixed(learningRate)).build();
  }

  private NDArray[] linear(int inputs, int outputs) {
    NDArray weight = manager.randomNormal(0, (float) Math.sqrt(2.0 / (inputs + outputs)),
        new Shape(outputs, inputs), DataType.FLOAT32);
    NDArray bias = manager.zeros(new Shape(outputs));
    for (NDArray parameter : new NDArray[] {weight, bias}) {
      parameter.setRequiresGradient(true);
      parameters.add(parameter);
    }
    return new NDArray[] {weight, bias};
  }

  /** A minibatch of rows in [0, 1], kept by this step's manager until {@link #close}. */
  NDArray batch(float[] rows, int count, int features) {
    return manager.create(rows, new Shape(count, features));
  }

  /** One step on {@code x}: forward, backward, Adam; returns the minibatch's mean negative ELBO. */
  float step(NDArray x) {
    float loss;
    try (NDScope scope = new NDScope(); GradientCollector collector = engine.newGradientCollector()) {
      scope.suppressNotUsedWarning();
      NDArray h = x;
      for (NDArray[] layer : encoder) {
        h = Activation.relu(dense(h, layer));
      }
      NDArray mu = dense(h, mean);
      NDArray logVar = dense(h, logVariance);
      NDArray noise = manager.randomNormal(new Shape(x.getShape().get(0), latent));
      NDArray z = mu.add(logVar.mul(0.5f).exp().mul(noise));
      for (int i = 0; i < decoder.size(); i++) {
        z = dense(z, decoder.get(i));
        if (i < decoder.size() - 1) {
          z = Activation.relu(z);
        }
      }
      NDArray reconstruction = Activation.softPlus(z).sub(x.mul(z)).sum();
      NDArray kl = logVar.add(1f).sub(mu.square()).sub(logVar.exp()).sum().mul(-0.5f);
      NDArray objective = reconstruction.add(kl).div((float) x.getShape().get(0));
      collector.backward(objective);
      loss = objective.getFloat();
    }
    update();
    return loss;
  }

  /** Adam on every parameter with its current gradient (the last step's), as a step ends. */
  void update() {
    // Outside a scope: Adam's moments, made on the first update, live as long as the step.
    for (int i = 0; i < parameters.size(); i++) {
      NDArray parameter = parameters.get(i);
      try (NDArray gradient = parameter.getGradient()) {
        adam.update(Integer.toString(i), parameter, gradient);
      }
    }
  }

  /**
   * Matrix products alone through libtorch, median milliseconds of all of them: each shape {m, k, n, transpose a,
   * transpose b} of a (m × k) · b (k × n), transposed operands as transposed views, as autograd passes them.
   */
  double gemmMillis(List<int[]> shapes) {
    try (NDManager products = manager.newSubManager()) {
      List<NDArray[]> operands = new ArrayList<>();
      for (int[] p : shapes) {
        NDArray a = p[3] == 1 ? products.randomUniform(0, 1, new Shape(p[1], p[0])).transpose()
            : products.randomUniform(0, 1, new Shape(p[0], p[1]));
        NDArray b = p[4] == 1 ? products.randomUniform(0, 1, new Shape(p[2], p[1])).transpose()
            : products.randomUniform(0, 1, new Shape(p[1], p[2]));
        operands.add(new NDArray[] {a, b});
      }
      return TrainStepBenchmark.medianMillis(() -> {
        try (NDScope scope = new NDScope()) {
          scope.suppressNotUsedWarning();
          operands.forEach(ab -> ab[0].matMul(ab[1]));
        }
      });
    }
  }

  private static NDArray dense(NDArray x, NDArray[] layer) {
    NDList out = Linear.linear(x, layer[0], layer[1]);
    return out.singletonOrThrow();
  }

  @Override
  public void close() {
    manager.close();
  }
}
