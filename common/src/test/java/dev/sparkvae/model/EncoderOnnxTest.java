package dev.sparkvae.model;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.function.Consumer;
import onnx.Onnx.ModelProto;
import onnx.Onnx.NodeProto;
import onnx.Onnx.TensorShapeProto.Dimension;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.variational.VariationalAutoencoder;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.impl.ActivationCube;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;

class EncoderOnnxTest {
  @Test
  void exportIsGemmPerLayerWithADynamicBatch() throws Exception {
    ModelProto model = ModelProto.parseFrom(EncoderOnnx.export(TestNets.network(1)));

    assertThat(model.getIrVersion()).isEqualTo(OnnxGraph.IR_VERSION);
    assertThat(model.getOpsetImport(0).getVersion()).isEqualTo(OnnxGraph.OPSET);
    var graph = model.getGraph();
    assertThat(graph.getNodeList()).extracting(NodeProto::getOpType)
        .as("20-32-16 relu encoder, then the identity joint head")
        .containsExactly("Gemm", "Relu", "Gemm", "Relu", "Gemm");
    assertThat(graph.getNode(4).getOutput(0)).isEqualTo(EncoderOnnx.OUTPUT);
    assertThat(graph.getInput(0).getName()).isEqualTo(EncoderOnnx.INPUT);
    assertThat(graph.getInput(0).getType().getTensorType().getShape().getDimList())
        .extracting(Dimension::getDimParam, Dimension::getDimValue)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("N", 0L), org.assertj.core.groups.Tuple.tuple("", 20L));
    assertThat(graph.getOutput(0).getType().getTensorType().getShape().getDim(1).getDimValue())
        .as("mean and log-variance of a 4-dimensional z").isEqualTo(8);
    assertThat(graph.getInitializerList()).extracting(t -> t.getDimsList().toString())
        .containsExactly("[20, 32]", "[32]", "[32, 16]", "[16]", "[16, 8]", "[8]");
  }

  @Test
  void unsupportedHiddenActivationIsNamed() {
    MultiLayerNetwork net = withVae(vae -> vae.setActivationFn(new ActivationCube()));
    assertThatThrownBy(() -> EncoderOnnx.export(net))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Cannot run activation cube outside DL4J: the activation must be one of relu (plain), "
            + "leakyrelu, tanh, sigmoid, elu, softplus, identity");
  }

  @Test
  void unsupportedLatentActivationAndClippedReluAreNamed() {
    assertThatThrownBy(() -> EncoderOnnx.export(withVae(vae -> vae.setPzxActivationFn(new ActivationSoftmax()))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot run activation softmax outside DL4J");
    assertThatThrownBy(() -> EncoderOnnx.export(withVae(vae -> vae.setActivationFn(new ActivationReLU(6.0, 0.0,
        0.0))))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot run activation relu");
  }

  @Test
  void aNetworkThatIsNotOneVaeIsRejected() {
    MultiLayerConfiguration conf = new NeuralNetConfiguration.Builder().list()
        .layer(new DenseLayer.Builder().nIn(4).nOut(3).build()).build();
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    assertThatThrownBy(() -> EncoderOnnx.export(net))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Expected a network of one VariationalAutoencoder layer, found 1 layers starting with DenseLayer");
  }

  private static MultiLayerNetwork withVae(Consumer<VariationalAutoencoder> change) {
    MultiLayerConfiguration conf = VaeNetworks.configuration(TestNets.SPEC, TestNets.train(1), TestNets.FEATURES);
    change.accept((VariationalAutoencoder) conf.getConf(0).getLayer());
    MultiLayerNetwork net = new MultiLayerNetwork(conf);
    net.init();
    return net;
  }
}
