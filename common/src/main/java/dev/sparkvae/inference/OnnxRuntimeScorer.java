package dev.sparkvae.inference;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession;
import dev.sparkvae.model.EncoderOnnx;
import dev.sparkvae.model.LikelihoodOnnx;
import dev.sparkvae.model.VaeMaths;
import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;

/**
 * The {@link BatchScorer} on ONNX Runtime: the encoder as {@link OnnxRuntimeEncoderEngine}, the decoder and
 * log p(x|z) of all a batch's latents as one {@link LikelihoodOnnx} session, so that the elementwise work of p(x|z)
 * runs in ONNX Runtime's vectorized kernels instead of one ND4J pass (and array) per operation.
 *
 * <p>Session options as {@link OnnxRuntimeEncoderEngine#sessionOptions} ({@code threads} intra-op threads, no
 * spinning). Each call copies the rows and latents into reused direct buffers that back the input tensors (pooled,
 * one pair per concurrent caller, grown to the largest batch seen, off-heap until the JVM frees them), and the
 * outputs back: small next to the decoder's work. Thread-safe; the parameters are a snapshot taken at construction.
 */
public final class OnnxRuntimeScorer extends BatchScorer implements AutoCloseable {
  private final OnnxRuntimeEncoderEngine encoder;
  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final SessionOptions options;
  private final OrtSession session;
  private final Set<String> outputs;
  private final ConcurrentLinkedQueue<FloatBuffer[]> idleInputs = new ConcurrentLinkedQueue<>();

  /**
   * @param net a network of one VariationalAutoencoder layer
   * @param samples importance samples K for {@code log_prob} (0 = do not compute log_prob or the ELBO)
   * @param withReconstruction also return the reconstruction
   * @param attributionFeatures the features per row of the attribution (0: none; see {@link BatchScorer})
   * @param modelSeed seeds the noise together with each row id (see {@link BatchScorer})
   * @param threads intra-op threads of each session, 1 or more
   * @throws IllegalArgumentException if the network cannot be exported ({@link LikelihoodOnnx#export})
   */
  public OnnxRuntimeScorer(MultiLayerNetwork net, int samples, boolean withReconstruction, int attributionFeatures,
      long modelSeed, int threads) {
    super(VaeMaths.of(net).featureCount(), VaeMaths.of(net).latentSize(), samples, withReconstruction,
        attributionFeatures, modelSeed);
    byte[] likelihood = LikelihoodOnnx.export(net);
    encoder = OnnxRuntimeEncoderEngine.of(net, threads);
    options = OnnxRuntimeEncoderEngine.sessionOptions(threads, false);
    try {
      session = env.createSession(likelihood, options);
    } catch (OrtException e) {
      options.close();
      encoder.close();
      throw new IllegalArgumentException("Cannot load the ONNX log-likelihood model: " + e.getMessage(), e);
    }
    Set<String> wanted = new HashSet<>(Set.of(LikelihoodOnnx.LOG_PXZ, LikelihoodOnnx.MISFIT));
    if (reconstructs()) {
      wanted.add(LikelihoodOnnx.RECONSTRUCTION);
    }
    if (attributes()) {
      wanted.add(LikelihoodOnnx.CONTRIBUTIONS);
    }
    outputs = Set.copyOf(wanted);
  }

  /** A scorer without attribution. */
  public OnnxRuntimeScorer(MultiLayerNetwork net, int samples, boolean withReconstruction, long modelSeed,
      int threads) {
    this(net, samples, withReconstruction, 0, modelSeed, threads);
  }

  @Override
  protected float[] encodeJoint(float[] rows, int count) {
    return encoder.encodeJoint(rows, count);
  }

  @Override
  protected Likelihood logLikelihood(float[] rows, int count, float[] z, int perRow) {
    int rowFloats = count * featureCount();
    FloatBuffer[] inputs = idleInputs.poll();
    if (inputs == null || inputs[0].capacity() < rowFloats || inputs[1].capacity() < z.length) {
      inputs = new FloatBuffer[] {OnnxRuntimeEncoderEngine.direct(rowFloats),
          OnnxRuntimeEncoderEngine.direct(z.length)};
    }
    inputs[0].put(0, rows, 0, rowFloats);
    inputs[1].put(0, z, 0, z.length);
    try (OnnxTensor x = OnnxTensor.createTensor(env, inputs[0].slice(0, rowFloats),
            new long[] {count, featureCount()});
        OnnxTensor latents = OnnxTensor.createTensor(env, inputs[1].slice(0, z.length),
            new long[] {count, perRow, latentSize()});
        OrtSession.Result result = session.run(Map.of(EncoderOnnx.INPUT, x, LikelihoodOnnx.LATENTS, latents),
            outputs)) {
      return new Likelihood(floats(result, LikelihoodOnnx.LOG_PXZ, count * perRow),
          floats(result, LikelihoodOnnx.MISFIT, count),
          reconstructs() ? floats(result, LikelihoodOnnx.RECONSTRUCTION, rowFloats) : null,
          attributes() ? floats(result, LikelihoodOnnx.CONTRIBUTIONS, rowFloats) : null);
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to score " + count + " rows: " + e.getMessage(), e);
    } finally {
      idleInputs.add(inputs);
    }
  }

  private static float[] floats(OrtSession.Result result, String name, int size) {
    float[] values = new float[size];
    ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer().get(values);
    return values;
  }

  @Override
  public void close() {
    try {
      OnnxRuntimeEncoderEngine.closeSession(session, options);
    } finally {
      encoder.close();
    }
  }
}
