package dev.sparkvae.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession;
import dev.sparkvae.inference.OnnxRuntimeEncoderEngine;
import dev.sparkvae.model.EncoderOnnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * ONNX Runtime used directly, the best case: the same model and session options as our engine, input tensors made
 * once over direct buffers (no copy while timed), outputs left where ONNX Runtime put them unless asked for.
 */
final class RawOrtContender extends Contender {
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final SessionOptions options;
  private final OrtSession session;
  private final int outputWidth;
  private OnnxTensor[] inputs = new OnnxTensor[0];

  RawOrtContender(String name, byte[] model, int threads, boolean spinWait, int outputWidth) throws OrtException {
    super(name);
    options = OnnxRuntimeEncoderEngine.sessionOptions(threads, spinWait);
    session = env.createSession(model, options);
    this.outputWidth = outputWidth;
  }

  @Override
  void prepare(Batches batches) {
    closeInputs();
    inputs = new OnnxTensor[batches.size()];
    try {
      for (int b = 0; b < batches.size(); b++) {
        float[] rows = batches.rows()[b];
        FloatBuffer direct = ByteBuffer.allocateDirect(rows.length * Float.BYTES).order(ByteOrder.nativeOrder())
            .asFloatBuffer().put(rows).flip();
        inputs[b] = OnnxTensor.createTensor(env, direct, new long[] {batches.counts()[b], batches.featureCount()});
      }
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  void encodeAll(float[] out) {
    int offset = 0;
    try {
      for (OnnxTensor input : inputs) {
        try (OrtSession.Result result = session.run(Map.of(EncoderOnnx.INPUT, input))) {
          if (out != null) {
            FloatBuffer z = ((OnnxTensor) result.get(0)).getFloatBuffer();
            int length = z.remaining();
            z.get(out, offset, length);
            offset += length;
          }
        }
      }
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  int outputWidth() {
    return outputWidth;
  }

  private void closeInputs() {
    for (OnnxTensor input : inputs) {
      input.close();
    }
    inputs = new OnnxTensor[0];
  }

  @Override
  public void close() {
    closeInputs();
    OnnxRuntimeEncoderEngine.closeSession(session, options);
  }
}
