package dev.sparkvae.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession;
import dev.sparkvae.inference.OnnxRuntimeEncoderEngine;
import dev.sparkvae.model.OnnxGraph;
import java.nio.FloatBuffer;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One n×n by n×n float32 matrix product in a runtime, 2n³ FLOPs per call: the machine's practical limit.
 *
 * @param name the runtime
 * @param multiply one product
 * @param close frees the operands
 */
record Sgemm(String name, Runnable multiply, Runnable close) {
  static float[] random(int n, long seed) {
    Random random = new Random(seed);
    float[] values = new float[n * n];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat();
    }
    return values;
  }

  /** Nd4j.gemm (OpenBLAS under nd4j-native). */
  static Sgemm nd4j(int n) {
    INDArray a = Nd4j.create(random(n, 1), new long[] {n, n}, 'c');
    INDArray b = Nd4j.create(random(n, 2), new long[] {n, n}, 'c');
    return new Sgemm("ND4J Nd4j.gemm", () -> Nd4j.gemm(a, b, false, false), () -> {
      a.close();
      b.close();
    });
  }

  /** A single MatMul ONNX graph (both operands inputs, so no weight prepacking) with our engine's options. */
  static Sgemm onnxRuntime(int n, int threads, boolean spinWait) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    byte[] model = new OnnxGraph("sgemm").input("a", n, n).input("b", n, n).output("c", n, n)
        .node("MatMul", new String[] {"a", "b"}, "c", null).toBytes();
    SessionOptions options = OnnxRuntimeEncoderEngine.sessionOptions(threads, spinWait);
    OrtSession session = env.createSession(model, options);
    Map<String, OnnxTensor> inputs = Map.of(
        "a", OnnxTensor.createTensor(env, FloatBuffer.wrap(random(n, 1)), new long[] {n, n}),
        "b", OnnxTensor.createTensor(env, FloatBuffer.wrap(random(n, 2)), new long[] {n, n}));
    return new Sgemm("ONNX Runtime MatMul" + (spinWait ? " (spin on)" : ""), () -> {
      try {
        session.run(inputs).close();
      } catch (OrtException e) {
        throw new IllegalStateException(e);
      }
    }, () -> {
      inputs.values().forEach(OnnxTensor::close);
      OnnxRuntimeEncoderEngine.closeSession(session, options);
    });
  }

  /** torch::matmul through DJL. */
  static Sgemm torch(Engine engine, int n) {
    NDManager manager = engine.newBaseManager();
    NDArray a = manager.create(random(n, 1), new Shape(n, n));
    NDArray b = manager.create(random(n, 2), new Shape(n, n));
    return new Sgemm("libtorch matMul via DJL", () -> {
      try (NDScope scope = new NDScope()) {
        scope.suppressNotUsedWarning();
        a.matMul(b);
      }
    }, manager::close);
  }
}
