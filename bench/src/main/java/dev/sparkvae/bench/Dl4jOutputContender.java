package dev.sparkvae.bench;

import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** DL4J's own VAE layer, {@code net.output(x)} on prepared INDArrays: the latent mean only. */
final class Dl4jOutputContender extends Contender {
  private final MultiLayerNetwork net;
  private final int latentSize;
  private INDArray[] inputs = new INDArray[0];

  Dl4jOutputContender(MultiLayerNetwork net, int latentSize) {
    super("DL4J VAE layer net.output (mean only)");
    this.net = net;
    this.latentSize = latentSize;
  }

  @Override
  void prepare(Batches batches) {
    inputs = new INDArray[batches.size()];
    for (int b = 0; b < batches.size(); b++) {
      inputs[b] = Nd4j.create(batches.rows()[b], new long[] {batches.counts()[b], batches.featureCount()}, 'c');
    }
  }

  @Override
  void encodeAll(float[] out) {
    int offset = 0;
    for (INDArray x : inputs) {
      INDArray mean = net.output(x);
      if (out != null) {
        float[] values = mean.dup('c').data().asFloat();
        System.arraycopy(values, 0, out, offset, values.length);
        offset += values.length;
      }
    }
  }

  @Override
  int outputWidth() {
    return latentSize;
  }

  @Override
  public void close() {
    inputs = new INDArray[0];
  }
}
