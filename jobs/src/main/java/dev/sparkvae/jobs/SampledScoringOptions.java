package dev.sparkvae.jobs;

import dev.sparkvae.ml.VaeScoringParams;
import picocli.CommandLine.Option;

/**
 * The options of the jobs that decode importance samples of every row (reconstruct, evaluate): those of
 * {@link RowScoringOptions}, {@code --samples} (default {@value VaeScoringParams#SAMPLES_DEFAULT}) and
 * {@code --batch-size} (default {@value #BATCH_SIZE_DEFAULT}). Danger: a pass decodes batch size x (samples + 1) latents at once, so its
 * memory grows with both.
 *
 * @param <O> the job's own options, which the fluent setters return
 */
public abstract class SampledScoringOptions<O extends SampledScoringOptions<O>> extends RowScoringOptions<O> {
  /** The default of {@code --batch-size}: rows per pass, each decoding samples + 1 latents. */
  public static final int BATCH_SIZE_DEFAULT = 256;

  @Option(names = "--samples", paramLabel = "N",
      description = "Importance samples for log_prob (default: ${DEFAULT-VALUE}).")
  int samples = VaeScoringParams.SAMPLES_DEFAULT;

  @Option(names = "--batch-size", paramLabel = "N",
      description = "Rows per forward pass; a pass decodes N x (samples + 1) latents at once, so memory grows "
          + "with both (default: ${DEFAULT-VALUE}).")
  int batchSize = BATCH_SIZE_DEFAULT;

  SampledScoringOptions() {}

  /** Importance samples for log_prob and the negative ELBO. */
  public O samples(int value) {
    samples = value;
    return self();
  }

  /** Rows per forward pass. */
  public O batchSize(int value) {
    batchSize = value;
    return self();
  }
}
