package dev.sparkvae.model;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Per-row scores of a trained VAE for a batch of rows.
 *
 * <ul>
 *   <li>{@code reconstruction error}: −log p(x|z) at z = the mean of q(z|x) (nats; no sampling).
 *   <li>{@code log_prob}: the importance-sampled estimate of log p(x) with K samples from q(z|x) (Burda, Grosse &amp;
 *       Salakhutdinov 2015, "Importance Weighted Autoencoders"): log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x).
 *   <li>{@code negative ELBO}: KL(q(z|x) ‖ N(0, I)) in closed form plus −log p(x|z_1) at the first sample.
 *   <li>{@code reconstruction}: the mean of p(x|z) at z = the mean of q(z|x).
 * </ul>
 *
 * <p>The noise of a row is drawn from a generator seeded by the model seed and the row id only, so a row gets the
 * same values whatever batch, partition or task attempt it is in. Memory: a batch of B rows with K samples
 * decodes B·K rows at once; keep B·K in the low thousands.
 */
public final class VaeScorer {
  private static final double LOG_2PI = Math.log(2 * Math.PI);

  /**
   * Scores of a batch; arrays are row-major.
   *
   * @param joint rows × 2·latent: mean then log-variance of q(z|x)
   * @param reconstructionError per row
   * @param logProb per row, or null when no samples were asked for
   * @param negativeElbo per row, or null when no samples were asked for
   * @param reconstruction rows × features, or null when not asked for
   */
  public record Scores(float[] joint, float[] reconstructionError, float[] logProb, float[] negativeElbo,
      float[] reconstruction) {}

  private final VaeModel model;
  private final int samples;
  private final boolean withReconstruction;
  private final long modelSeed;

  /**
   * @param model the VAE
   * @param samples importance samples K for {@code log_prob} (0 = do not compute log_prob or the ELBO)
   * @param withReconstruction also return the reconstruction
   * @param modelSeed seeds the noise together with each row id (e.g. {@link #seedOf(String)} of the model's
   *     checksum)
   */
  public VaeScorer(VaeModel model, int samples, boolean withReconstruction, long modelSeed) {
    if (samples < 0) {
      throw new IllegalArgumentException("Cannot use " + samples + " samples: the value must be 0 or more");
    }
    this.model = model;
    this.samples = samples;
    this.withReconstruction = withReconstruction;
    this.modelSeed = modelSeed;
  }

  /** A seed from a model's sha256 (its first 16 hex digits). */
  public static long seedOf(String sha256) {
    return Long.parseUnsignedLong(sha256.substring(0, 16), 16);
  }

  /** Scores rows {@code x} (rows × features, float) whose ids are {@code ids}. */
  public Scores score(INDArray x, long[] ids) {
    int rows = (int) x.size(0);
    int latent = model.latentSize();
    INDArray[] q = model.encode(x);
    INDArray mean = q[0];
    INDArray logVar = q[1];
    INDArray atMean = model.decodePreOutput(mean);
    float[] reconstructionError = model.distribution().exampleNegLogProbability(x, atMean).reshape(rows)
        .toFloatVector();
    float[] reconstruction = withReconstruction
        ? model.distribution().generateAtMean(atMean).dup('c').data().asFloat()
        : null;
    float[] logProb = null;
    float[] negativeElbo = null;
    if (samples > 0) {
      int[] repeated = new int[rows * samples];
      for (int i = 0; i < repeated.length; i++) {
        repeated[i] = i / samples;
      }
      INDArray noise = Nd4j.create(noise(ids, latent), new long[] {(long) rows * samples, latent}, 'c');
      INDArray meanRep = Nd4j.pullRows(mean, 1, repeated);
      INDArray logVarRep = Nd4j.pullRows(logVar, 1, repeated);
      INDArray z = Transforms.exp(logVarRep.mul(0.5), false).muli(noise).addi(meanRep);
      INDArray logPxz = model.distribution().exampleNegLogProbability(Nd4j.pullRows(x, 1, repeated),
          model.decodePreOutput(z)).negi().reshape(rows * samples);
      INDArray logPz = z.mul(z).sum(1).muli(-0.5).subi(0.5 * latent * LOG_2PI);
      INDArray logQz = noise.mul(noise).addi(logVarRep).sum(1).muli(-0.5).subi(0.5 * latent * LOG_2PI);
      float[] logWeights = logPxz.add(logPz).subi(logQz).castTo(DataType.FLOAT).toFloatVector();
      float[] firstNll = logPxz.toFloatVector();
      float[] kl = Transforms.exp(logVar, true).addi(mean.mul(mean)).subi(logVar).subi(1.0).sum(1).muli(0.5)
          .toFloatVector();
      logProb = new float[rows];
      negativeElbo = new float[rows];
      for (int r = 0; r < rows; r++) {
        logProb[r] = (float) (logSumExp(logWeights, r * samples, samples) - Math.log(samples));
        negativeElbo[r] = kl[r] - firstNll[r * samples];
      }
    }
    INDArray joint = Nd4j.hstack(mean, logVar);
    return new Scores(joint.dup('c').data().asFloat(), reconstructionError, logProb, negativeElbo, reconstruction);
  }

  /** Standard normal noise, rows·samples × latent, each row's block from its own seeded generator. */
  private float[] noise(long[] ids, int latent) {
    float[] noise = new float[ids.length * samples * latent];
    int block = samples * latent;
    for (int r = 0; r < ids.length; r++) {
      SplittableRandom random = new SplittableRandom(NoiseSeeds.of(modelSeed, 0, ids[r]));
      for (int i = 0; i < block; i++) {
        noise[r * block + i] = (float) random.nextGaussian();
      }
    }
    return noise;
  }

  private static double logSumExp(float[] values, int from, int count) {
    double max = Double.NEGATIVE_INFINITY;
    for (int i = from; i < from + count; i++) {
      max = Math.max(max, values[i]);
    }
    if (Double.isInfinite(max)) {
      return max;
    }
    double sum = 0;
    for (int i = from; i < from + count; i++) {
      sum += Math.exp(values[i] - max);
    }
    return max + Math.log(sum);
  }
}
