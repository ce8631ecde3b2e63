package dev.sparkvae.model;

import dev.sparkvae.config.TrainSettings;
import dev.sparkvae.config.VaeSpec;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.variational.BernoulliReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.GaussianReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.ReconstructionDistribution;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * Builds the DL4J network for a {@link VaeSpec}: one {@link VariationalAutoencoder} layer, float32, one sample of z
 * per example in training (the reparameterisation trick of Kingma &amp; Welling 2013).
 *
 * <p>Weights and biases start uniform in ±1/sqrt(fan-in): the initialisation of PyTorch's {@code nn.Linear}, so
 * that quality compares with the PyTorch reference recipe.
 */
public final class VaeNetworks {
  private VaeNetworks() {}

  /** The network configuration for {@code featureCount} inputs. */
  public static MultiLayerConfiguration configuration(VaeSpec spec, TrainSettings train, int featureCount) {
    NeuralNetConfiguration.Builder builder = new NeuralNetConfiguration.Builder()
        .seed(train.seed())
        .dataType(DataType.FLOAT)
        .updater(updater(train))
        .weightInit(WeightInit.UNIFORM);
    if (train.l2() > 0) {
      builder.l2(train.l2());
    }
    return builder.list()
        .layer(new VariationalAutoencoder.Builder()
            .nIn(featureCount)
            .nOut(spec.latentSize())
            .encoderLayerSizes(spec.encoderSizes())
            .decoderLayerSizes(spec.decoderSizes())
            .activation(activation(spec.activation()))
            .pzxActivationFunction(Activation.IDENTITY)
            .reconstructionDistribution(distribution(spec.distribution()))
            .numSamples(1)
            .build())
        .build();
  }

  /** A freshly initialised network: weights and biases uniform in ±1/sqrt(fan-in), seeded by the train seed. */
  public static MultiLayerNetwork create(VaeSpec spec, TrainSettings train, int featureCount) {
    MultiLayerNetwork net = new MultiLayerNetwork(configuration(spec, train, featureCount));
    net.init();
    // DL4J starts biases at a constant; PyTorch's nn.Linear draws them like the weights, which measurably helps
    // the first epochs of the reference recipe (bench/RESULTS.md).
    Map<String, INDArray> params = net.getLayer(0).paramTable();
    Random random = new Random(train.seed());
    for (Map.Entry<String, INDArray> param : params.entrySet()) {
      String name = param.getKey();
      if (name.endsWith("b")) {
        long fanIn = params.get(name.substring(0, name.length() - 1) + "W").size(0);
        INDArray bias = param.getValue();
        for (long i = 0; i < bias.length(); i++) {
          bias.putScalar(i, (random.nextDouble() * 2 - 1) / Math.sqrt(fanIn));
        }
      }
    }
    return net;
  }

  static IUpdater updater(TrainSettings train) {
    double lr = train.learningRate();
    return switch (train.updater()) {
      case "adam" -> new Adam(lr);
      case "sgd" -> new Sgd(lr);
      case "nesterovs" -> new Nesterovs(lr, 0.9);
      case "rmsprop" -> new RmsProp(lr);
      case "adagrad" -> new AdaGrad(lr);
      default -> throw new IllegalArgumentException("Unknown updater " + train.updater());
    };
  }

  static Activation activation(String name) {
    return switch (name) {
      case "relu" -> Activation.RELU;
      case "leakyrelu" -> Activation.LEAKYRELU;
      case "tanh" -> Activation.TANH;
      case "sigmoid" -> Activation.SIGMOID;
      case "elu" -> Activation.ELU;
      case "softplus" -> Activation.SOFTPLUS;
      case "identity" -> Activation.IDENTITY;
      default -> throw new IllegalArgumentException("Unknown activation " + name);
    };
  }

  static ReconstructionDistribution distribution(String name) {
    return switch (name) {
      case VaeSpec.BERNOULLI -> new BernoulliReconstructionDistribution(Activation.SIGMOID);
      case VaeSpec.GAUSSIAN -> new GaussianReconstructionDistribution(Activation.IDENTITY);
      default -> throw new IllegalArgumentException("Unknown distribution " + name);
    };
  }
}
