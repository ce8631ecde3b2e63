package dev.sparkvae.jobs;

import picocli.CommandLine.Mixin;

/**
 * The options of the jobs that score every row on the executors (encode, reconstruct, evaluate): those of
 * {@link ScoringOptions} and the {@link InputChecks}.
 *
 * @param <O> the job's own options, which the fluent setters return
 */
public abstract class RowScoringOptions<O extends RowScoringOptions<O>> extends ScoringOptions<O> {
  @Mixin InputChecks checks = new InputChecks();

  RowScoringOptions() {}

  /** What to do with bad rows, corrupt files and duplicate ids. */
  public O checks(InputChecks value) {
    checks = value;
    return self();
  }
}
