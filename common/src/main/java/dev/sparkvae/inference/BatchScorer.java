package dev.sparkvae.inference;

import dev.sparkvae.model.NoiseSeeds;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-row scores of a trained VAE for a batch of rows.
 *
 * <ul>
 *   <li>{@code reconstruction error}: −log p(x|z) at z = the mean of q(z|x) (nats; no sampling).
 *   <li>{@code anomaly score}: the deviance of the row at z = the mean of q(z|x): its −log p(x|z) less that of a
 *       perfect reconstruction of the same row, so 0 for a perfect reconstruction at any grey level or spread. For a
 *       Bernoulli p(x|z), −log p(x|z) − Σ_f H(x_f) with the binary entropy H (which the reconstruction error counts
 *       in full, so that it ranks how textured a row is more than how well it fits); for a Gaussian,
 *       ½ Σ_f (x_f − μ_f)² / σ²_f (the error in units of the decoder's own spread, without the log σ² term that
 *       rewards rows it expects to vary little). Independent of the units of the features.
 *   <li>{@code log_prob}: the importance-sampled estimate of log p(x) with K samples from q(z|x) (Burda, Grosse &amp;
 *       Salakhutdinov 2015, "Importance Weighted Autoencoders"): log (1/K) Σ_k p(x|z_k) p(z_k) / q(z_k|x).
 *   <li>{@code negative ELBO}: KL(q(z|x) ‖ N(0, I)) in closed form plus −log p(x|z_1) at the first sample.
 *   <li>{@code reconstruction}: the mean of p(x|z) at z = the mean of q(z|x).
 *   <li>{@code attribution}: the features that contribute most to the anomaly score. The deviance is a sum over
 *       features (Bernoulli: −log p(x_f|z) − H(x_f); Gaussian: ½ (x_f − μ_f)² / σ²_f), so each feature's term is its
 *       contribution, and the contributions of all features add up to the score.
 * </ul>
 *
 * <p>An engine supplies the two network passes ({@link #encodeJoint}, {@link #logLikelihood}); the sampling and the
 * importance weighting are done here, in double precision, so every engine draws the same noise and combines it the
 * same way. The noise of a row is drawn from a generator seeded by the model seed and the row id only, so a row gets
 * the same values whatever partition or task attempt it is in, and whatever batch (on ND4J, up to the last bit: its
 * BLAS may round a row differently in a batch of another size). Memory: a batch of B rows with K samples
 * decodes B·(K + 1) rows at once; keep that in the low thousands.
 */
public abstract class BatchScorer {
  /**
   * Scores of a batch; arrays are row-major.
   *
   * @param joint rows × 2·latent: mean then log-variance of q(z|x)
   * @param reconstructionError per row
   * @param anomalyScore per row
   * @param logProb per row, or null when no samples were asked for
   * @param negativeElbo per row, or null when no samples were asked for
   * @param reconstruction rows × features, or null when neither it nor the attribution was asked for
   * @param attribution the features contributing most to each row's anomaly score, or null when not asked for
   */
  public record Scores(float[] joint, float[] reconstructionError, float[] anomalyScore, float[] logProb,
      float[] negativeElbo, float[] reconstruction, Attribution attribution) {}

  /**
   * What an engine computes from the latents: log p(x_r | z) for each row r and each of its latents (the mean of
   * q(z|x_r) first, then the samples), and, when asked, the mean of p(x|z) at each row's first latent.
   *
   * @param logPxz rows × latents per row
   * @param misfit rows: the deviance of each row at its first latent (see the anomaly score)
   * @param reconstruction rows × features, or null unless {@link #reconstructs()}
   * @param contributions rows × features: each feature's term of the deviance at each row's first latent, or null
   *     unless {@link #attributes()}
   */
  public record Likelihood(float[] logPxz, float[] misfit, float[] reconstruction, float[] contributions) {}

  private final int featureCount;
  private final int latentSize;
  private final int samples;
  private final boolean withReconstruction;
  private final int attributionFeatures;
  private final long modelSeed;

  /**
   * @param samples importance samples K for {@code log_prob} (0 = do not compute log_prob or the ELBO)
   * @param withReconstruction also return the reconstruction
   * @param attributionFeatures the features per row in {@link Scores#attribution()}, from 0 (none: no attribution
   *     computed) to the feature count
   * @param modelSeed seeds the noise together with each row id (e.g. {@link #seedOf(String)} of the model's
   *     checksum)
   */
  protected BatchScorer(int featureCount, int latentSize, int samples, boolean withReconstruction,
      int attributionFeatures, long modelSeed) {
    if (samples < 0) {
      throw new IllegalArgumentException("Cannot use " + samples + " samples: the value must be 0 or more");
    }
    String problem = attributionProblem(attributionFeatures, featureCount);
    if (problem != null) {
      throw new IllegalArgumentException("Cannot attribute " + attributionFeatures + " features: " + problem);
    }
    this.featureCount = featureCount;
    this.latentSize = latentSize;
    this.samples = samples;
    this.withReconstruction = withReconstruction;
    this.attributionFeatures = attributionFeatures;
    this.modelSeed = modelSeed;
  }

  /**
   * What is wrong with listing {@code features} features per row in the attribution of a model of
   * {@code featureCount} features, or null when nothing is.
   */
  public static String attributionProblem(int features, int featureCount) {
    return features < 0 || features > featureCount
        ? "the value must be from 0 (none) to the model's feature count, " + featureCount : null;
  }

  /** A seed from a model's sha256 (its first 16 hex digits). */
  public static long seedOf(String sha256) {
    return Long.parseUnsignedLong(sha256.substring(0, 16), 16);
  }

  public int featureCount() {
    return featureCount;
  }

  public int latentSize() {
    return latentSize;
  }

  /** Whether {@link Scores#reconstruction()} was asked for. */
  public boolean withReconstruction() {
    return withReconstruction;
  }

  /** The features per row of {@link Scores#attribution()}; 0 when none is computed. */
  public int attributionFeatures() {
    return attributionFeatures;
  }

  /** Whether the engine returns {@link Likelihood#reconstruction()}: asked for, or needed by the attribution. */
  protected final boolean reconstructs() {
    return withReconstruction || attributionFeatures > 0;
  }

  /** Whether the engine returns {@link Likelihood#contributions()}. */
  protected final boolean attributes() {
    return attributionFeatures > 0;
  }

  /** The mean and log-variance of q(z|x) of {@code count} rows (row-major, features wide), count × 2·latent. */
  protected abstract float[] encodeJoint(float[] rows, int count);

  /**
   * log p(x|z) of {@code count} rows, each against {@code perRow} latents of {@code z} (count × perRow × latent), the
   * deviance at each row's first latent, the reconstruction there when {@link #reconstructs()}, and the deviance's
   * per-feature terms there when {@link #attributes()}.
   */
  protected abstract Likelihood logLikelihood(float[] rows, int count, float[] z, int perRow);

  /** Scores rows {@code x} (rows × features) whose ids are {@code ids}. */
  public final Scores score(INDArray x, long[] ids) {
    return score(x.castTo(DataType.FLOAT).dup('c').data().asFloat(), (int) x.size(0), ids);
  }

  /**
   * Scores the first {@code count} rows of {@code rows} (row-major, {@link #featureCount()} wide), whose ids are the
   * first {@code count} of {@code ids}.
   */
  public final Scores score(float[] rows, int count, long[] ids) {
    float[] joint = encodeJoint(rows, count);
    int perRow = 1 + samples;
    float[] noise = noise(ids, count);
    float[] z = latents(joint, noise, count);
    Likelihood likelihood = logLikelihood(rows, count, z, perRow);
    float[] logPxz = likelihood.logPxz();
    float[] reconstructionError = new float[count];
    for (int r = 0; r < count; r++) {
      reconstructionError[r] = -logPxz[r * perRow];
    }
    float[] logProb = null;
    float[] negativeElbo = null;
    if (samples > 0) {
      logProb = new float[count];
      negativeElbo = new float[count];
      double[] logWeights = new double[samples];
      for (int r = 0; r < count; r++) {
        for (int k = 0; k < samples; k++) {
          logWeights[k] = logPxz[r * perRow + 1 + k] + logPriorOverPosterior(joint, noise, z, r, k);
        }
        logProb[r] = (float) logMeanExp(logWeights);
        negativeElbo[r] = (float) (klDivergence(joint, r) - logPxz[r * perRow + 1]);
      }
    }
    return new Scores(joint, reconstructionError, likelihood.misfit(), logProb, negativeElbo,
        likelihood.reconstruction(), attributes()
        ? Attribution.largest(attributionFeatures, featureCount, rows, count, likelihood.contributions(),
            likelihood.reconstruction()) : null);
  }

  /**
   * Per row, the mean of q(z|x) then its {@code samples} draws z = mean + exp(log-variance / 2) · noise: count ×
   * (1 + samples) × latent.
   */
  private float[] latents(float[] joint, float[] noise, int count) {
    int perRow = 1 + samples;
    float[] z = new float[count * perRow * latentSize];
    double[] sigma = new double[latentSize];
    for (int r = 0; r < count; r++) {
      int mean = r * 2 * latentSize;
      System.arraycopy(joint, mean, z, r * perRow * latentSize, latentSize);
      for (int j = 0; j < latentSize; j++) {
        sigma[j] = Math.exp(0.5 * joint[mean + latentSize + j]);
      }
      for (int k = 0; k < samples; k++) {
        int at = (r * perRow + 1 + k) * latentSize;
        int eps = (r * samples + k) * latentSize;
        for (int j = 0; j < latentSize; j++) {
          z[at + j] = (float) (joint[mean + j] + sigma[j] * noise[eps + j]);
        }
      }
    }
    return z;
  }

  /** log p(z) − log q(z|x) at sample k of row r (the 2π terms cancel). */
  private double logPriorOverPosterior(float[] joint, float[] noise, float[] z, int r, int k) {
    double sum = 0;
    int logVar = r * 2 * latentSize + latentSize;
    int eps = (r * samples + k) * latentSize;
    int at = (r * (1 + samples) + 1 + k) * latentSize;
    for (int j = 0; j < latentSize; j++) {
      double e = noise[eps + j];
      double zj = z[at + j];
      sum += e * e + joint[logVar + j] - zj * zj;
    }
    return 0.5 * sum;
  }

  /** KL(q(z|x_r) ‖ N(0, I)) in closed form. */
  private double klDivergence(float[] joint, int r) {
    double sum = 0;
    int mean = r * 2 * latentSize;
    for (int j = 0; j < latentSize; j++) {
      double m = joint[mean + j];
      double logVar = joint[mean + latentSize + j];
      sum += Math.exp(logVar) + m * m - logVar - 1;
    }
    return 0.5 * sum;
  }

  /** Standard normal noise, count·samples × latent, each row's block from its own seeded generator. */
  private float[] noise(long[] ids, int count) {
    float[] noise = new float[count * samples * latentSize];
    int block = samples * latentSize;
    for (int r = 0; r < count; r++) {
      SplittableRandom random = new SplittableRandom(NoiseSeeds.of(modelSeed, 0, ids[r]));
      for (int i = 0; i < block; i++) {
        noise[r * block + i] = (float) random.nextGaussian();
      }
    }
    return noise;
  }

  /** log of the mean of exp(values), without overflow. */
  static double logMeanExp(double[] values) {
    double max = Arrays.stream(values).max().orElse(Double.NEGATIVE_INFINITY);
    if (Double.isInfinite(max)) {
      return max;
    }
    double sum = 0;
    for (double value : values) {
      sum += Math.exp(value - max);
    }
    return max + Math.log(sum / values.length);
  }
}
