package dev.sparkvae.cli;

import dev.sparkvae.jobs.EncodeJob;
import picocli.CommandLine.Command;

@Command(name = "encode", mixinStandardHelpOptions = true,
    description = "Encode every row to the mean and log-variance of q(z|x) (Parquet: id, z_mean, z_log_var).")
final class EncodeCommand extends ScoringCommand<EncodeJob.Options> {
  EncodeCommand() {
    super(new EncodeJob.Options(), (spark, settings, options) -> new EncodeJob(spark, options).run());
  }
}
