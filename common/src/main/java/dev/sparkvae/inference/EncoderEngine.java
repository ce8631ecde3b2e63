package dev.sparkvae.inference;

/**
 * Runs the encoder of a VAE on batches of rows: the mean and log-variance of q(z|x) (Kingma &amp; Welling 2013)
 * side by side, as {@link dev.sparkvae.model.VaeMaths#encodeJoint}. Create one with {@link InferenceEngines#create}.
 *
 * <p>Implementations say whether one instance may serve several threads. Close an engine to free its native
 * resources; an engine is unusable after {@link #close()}.
 */
public interface EncoderEngine extends AutoCloseable {
  /**
   * Encodes {@code count} rows.
   *
   * @param rows row-major count × {@link #featureCount()} floats (longer arrays are fine: the rest is ignored)
   * @param count the number of rows, 0 or more
   * @return a new row-major count × (2 · {@link #latentSize()}) array: per row the latent mean, then the
   *     log-variance
   * @throws IllegalArgumentException if {@code rows} holds fewer than count × featureCount floats
   */
  float[] encodeJoint(float[] rows, int count);

  /** The width of an input row. */
  int featureCount();

  /** The dimension of z; an output row has twice as many values. */
  int latentSize();

  /** Frees native resources; idempotent. */
  @Override
  void close();
}
