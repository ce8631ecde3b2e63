package dev.sparkvae.cli;

import dev.sparkvae.jobs.EvaluateJob;
import picocli.CommandLine.Command;

@Command(name = "evaluate", mixinStandardHelpOptions = true,
    description = "Negative ELBO, reconstruction error, anomaly score and log-likelihood summaries as JSON (with "
        + "detection figures when anomaly.normal-labels is set), and plots.")
final class EvaluateCommand extends ScoringCommand<EvaluateJob.Options> {
  EvaluateCommand() {
    super(new EvaluateJob.Options(), (spark, settings, options) -> new EvaluateJob(spark, options).run());
  }
}
