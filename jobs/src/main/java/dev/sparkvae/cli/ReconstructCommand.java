package dev.sparkvae.cli;

import dev.sparkvae.jobs.ReconstructJob;
import picocli.CommandLine.Command;

@Command(name = "reconstruct", mixinStandardHelpOptions = true,
    description = "Per-row reconstruction error, importance-sampled log-likelihood and anomaly flag.")
final class ReconstructCommand extends ScoringCommand<ReconstructJob.Options> {
  ReconstructCommand() {
    super(new ReconstructJob.Options(), (spark, settings, options) -> new ReconstructJob(spark, options).run());
  }
}
