package dev.sparkvae.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sparkvae.model.EncoderOnnx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The encoder on ONNX Runtime (CPU, MLAS kernels): runs an {@link EncoderOnnx} model, input {@value
 * EncoderOnnx#INPUT} [N, features] to output {@value EncoderOnnx#OUTPUT} [N, 2 · latent].
 *
 * <p>Session: {@code threads} intra-op threads (the calling thread is one of them), 1 inter-op thread, sequential
 * execution, all graph optimizations, and no spin-waiting of idle pool threads by default (spinning would take a
 * core from Spark's other task threads; pass {@code spinWait} true when the engine has the machine to itself).
 *
 * <p>Each call copies the rows once, into a reused direct buffer that backs the input tensor; ONNX Runtime writes
 * the result into a reused direct buffer (a pinned output), copied once into the returned array. Buffers are
 * pooled, one set per concurrent caller, and grow to the largest batch seen.
 *
 * <p>Thread-safe: ONNX Runtime sessions run concurrently, and every caller takes its own buffers. Dangers: each
 * concurrent caller uses up to {@code threads} cores; pooled buffers hold (features + 2 · latent) · 4 bytes per row
 * of the largest batch, off-heap, until {@link #close()}; closing while another thread encodes fails that call.
 */
public final class OnnxRuntimeEncoderEngine implements EncoderEngine {
  private final OrtEnvironment env;
  private final SessionOptions options;
  private final OrtSession session;
  private final int featureCount;
  private final int latentSize;
  private final ConcurrentLinkedQueue<Buffers> idle = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  /**
   * A session over an ONNX encoder model such as {@link EncoderOnnx#export} writes.
   *
   * @param model the serialized ONNX model
   * @param threads intra-op threads, 1 or more
   * @param spinWait whether idle intra-op threads spin (faster on an idle machine, steals cores on a busy one)
   * @throws IllegalArgumentException if threads is not positive or the model does not map x [N, F] to z [N, 2L]
   */
  public OnnxRuntimeEncoderEngine(byte[] model, int threads, boolean spinWait) {
    if (threads < 1) {
      throw new IllegalArgumentException("Cannot set the ONNX Runtime threads to " + threads
          + ": the value must be a positive integer");
    }
    env = OrtEnvironment.getEnvironment();
    options = sessionOptions(threads, spinWait);
    try {
      session = env.createSession(model, options);
    } catch (OrtException e) {
      options.close();
      throw new IllegalArgumentException("Cannot load the ONNX encoder model: " + e.getMessage(), e);
    }
    try {
      long[] in = floatShape(session.getInputInfo(), EncoderOnnx.INPUT);
      long[] out = floatShape(session.getOutputInfo(), EncoderOnnx.OUTPUT);
      if (in.length != 2 || out.length != 2 || in[1] <= 0 || out[1] <= 0 || out[1] % 2 != 0) {
        throw new IllegalArgumentException("Cannot use the ONNX model as an encoder: it maps x " + Arrays.toString(in)
            + " to z " + Arrays.toString(out) + ", expected x [N, features] to z [N, 2 * latent]");
      }
      featureCount = (int) in[1];
      latentSize = (int) out[1] / 2;
    } catch (OrtException | IllegalArgumentException e) {
      close();
      throw e instanceof IllegalArgumentException iae ? iae
          : new IllegalArgumentException("Cannot read the ONNX encoder model: " + e.getMessage(), e);
    }
  }

  /**
   * The session options of this engine: {@code threads} intra-op threads, 1 inter-op thread, sequential execution,
   * all graph optimizations, idle threads spinning only if {@code spinWait}. The caller closes them.
   */
  public static SessionOptions sessionOptions(int threads, boolean spinWait) {
    SessionOptions options = new SessionOptions();
    try {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OptLevel.ALL_OPT);
      options.addConfigEntry("session.intra_op.allow_spinning", spinWait ? "1" : "0");
      return options;
    } catch (OrtException e) {
      options.close();
      throw new IllegalStateException("Cannot configure an ONNX Runtime session: " + e.getMessage(), e);
    }
  }

  /** The encoder of {@code net} (see {@link EncoderOnnx#export}) with {@code threads} intra-op threads, no spin. */
  public static OnnxRuntimeEncoderEngine of(MultiLayerNetwork net, int threads) {
    return new OnnxRuntimeEncoderEngine(EncoderOnnx.export(net), threads, false);
  }

  private static long[] floatShape(Map<String, NodeInfo> infos, String name) {
    NodeInfo info = infos.get(name);
    if (info == null || !(info.getInfo() instanceof TensorInfo tensor) || tensor.type != OnnxJavaType.FLOAT) {
      throw new IllegalArgumentException("Cannot use the ONNX model as an encoder: it has no float tensor " + name
          + " (found " + infos.keySet() + ")");
    }
    return tensor.getShape();
  }

  @Override
  public float[] encodeJoint(float[] rows, int count) {
    InferenceEngines.checkRows(this, rows, count);
    if (closed) {
      throw new IllegalStateException("Cannot encode with a closed ONNX Runtime engine");
    }
    if (count == 0) {
      return new float[0];
    }
    Buffers buffers = idle.poll();
    if (buffers == null) {
      buffers = new Buffers();
    }
    try {
      buffers.shape(count);
      buffers.input.put(0, rows, 0, count * featureCount);
      session.run(buffers.inputs, buffers.outputs).close();
      float[] joint = new float[count * 2 * latentSize];
      buffers.output.get(0, joint);
      return joint;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to encode " + count + " rows: " + e.getMessage(), e);
    } finally {
      idle.add(buffers);
      if (closed) {
        closeBuffers();
      }
    }
  }

  @Override
  public int featureCount() {
    return featureCount;
  }

  @Override
  public int latentSize() {
    return latentSize;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeBuffers();
    closeSession(session, options);
  }

  /** Closes {@code session}, then {@code options} even if closing the session failed. */
  public static void closeSession(OrtSession session, SessionOptions options) {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("Cannot close the ONNX Runtime session: " + e.getMessage(), e);
    } finally {
      options.close();
    }
  }

  private void closeBuffers() {
    for (Buffers buffers = idle.poll(); buffers != null; buffers = idle.poll()) {
      buffers.closeTensors();
    }
  }

  /** Direct input and output buffers and the tensors over them, for one batch size at a time. */
  private final class Buffers {
    private FloatBuffer input;
    private FloatBuffer output;
    private int rows = -1;
    private Map<String, OnnxTensor> inputs = Map.of();
    private Map<String, OnnxTensor> outputs = Map.of();

    void shape(int count) throws OrtException {
      if (count == rows) {
        return;
      }
      closeTensors();
      if (input == null || input.capacity() < count * featureCount) {
        input = direct(count * featureCount);
        output = direct(count * 2 * latentSize);
      }
      inputs = Map.of(EncoderOnnx.INPUT, OnnxTensor.createTensor(env, input.slice(0, count * featureCount),
          new long[] {count, featureCount}));
      outputs = Map.of(EncoderOnnx.OUTPUT, OnnxTensor.createTensor(env, output.slice(0, count * 2 * latentSize),
          new long[] {count, 2L * latentSize}));
      rows = count;
    }

    void closeTensors() {
      inputs.values().forEach(OnnxTensor::close);
      outputs.values().forEach(OnnxTensor::close);
      inputs = Map.of();
      outputs = Map.of();
      rows = -1;
    }
  }

  /** A native-order direct buffer of {@code floats} values, which ONNX Runtime reads and writes without copying. */
  static FloatBuffer direct(int floats) {
    return ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
  }
}
