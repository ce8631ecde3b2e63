package dev.sparkvae.cli;

import dev.sparkvae.config.Settings;
import dev.sparkvae.jobs.ScoringOptions;

/**
 * The command of a job that runs a trained model over a dataset: the input's format, the engine and the plot
 * settings go to its options, checked before any work.
 */
abstract class ScoringCommand<O extends ScoringOptions<O>> extends JobCommand<O> {
  ScoringCommand(O options, Job<O> job) {
    super(options, job);
  }

  @Override
  Settings settings() {
    Settings settings = super.settings();
    options.settings(settings);
    return settings;
  }
}
