package dev.sparkvae.cli;

import dev.sparkvae.jobs.PlotJob;
import picocli.CommandLine.Command;

@Command(name = "plot", mixinStandardHelpOptions = true,
    description = "Plots of a model on a dataset as PNG: training curve, latent map, reconstructions, samples.")
final class PlotCommand extends ScoringCommand<PlotJob.Options> {
  PlotCommand() {
    super(new PlotJob.Options(), (spark, settings, options) -> new PlotJob(spark, options).run());
  }
}
