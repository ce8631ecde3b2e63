package dev.sparkvae.cli;

import dev.sparkvae.config.Settings;
import dev.sparkvae.jobs.TrainJob;
import dev.sparkvae.training.VaeTraining;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Train a VAE by parameter averaging and write a model directory.")
final class TrainCommand extends JobCommand<TrainJob.Options> {
  private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

  @Option(names = "--epochs", paramLabel = "N", description = "Epochs (overrides train.epochs).")
  Integer epochs;

  TrainCommand() {
    super(new TrainJob.Options(), (spark, settings, options) -> new TrainJob(spark, settings, options).run());
  }

  /** The settings with {@code --epochs}, the training recipe checked. */
  @Override
  Settings settings() {
    if (epochs != null) {
      overrides.add("train.epochs=" + epochs);
    }
    Settings settings = super.settings();
    VaeTraining.Recipe.from(settings);
    LOG.info("train settings: data={} vae={} train={}", settings.render("data"), settings.render("vae"),
        settings.render("train"));
    return settings;
  }
}
