package dev.sparkvae.jobs;

import dev.sparkvae.io.RunSummary;

/** What the command line needs of every job's options, besides the flags they declare. */
public interface JobOptions {
  /** Replace existing outputs (and the run summary file) instead of refusing them. */
  boolean overwrite();

  /** Records the paths the job reads in {@code summary}, before it runs, so that a failed run names them too. */
  void recordInputs(RunSummary.Builder summary);
}
