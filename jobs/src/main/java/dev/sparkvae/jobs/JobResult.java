package dev.sparkvae.jobs;

import dev.sparkvae.io.RunSummary;

/** The result of a job, as the command line shows it: it formats itself. */
public interface JobResult {
  /** The lines the command line prints. */
  String message();

  /** Records what the run wrote and counted in {@code summary}: outputs, counts, throughput. */
  void summarize(RunSummary.Builder summary);
}
