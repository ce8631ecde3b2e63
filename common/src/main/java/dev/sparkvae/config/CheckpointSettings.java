package dev.sparkvae.config;

/**
 * Where and how often training checkpoints (keys {@code train.checkpoint-*}; defaults in conf/defaults.conf).
 *
 * @param dir checkpoint directory (any Hadoop path); "" = beside the model directory, {@code MODEL.checkpoints}
 * @param everyEpochs a checkpoint after every this many epochs, and after the last
 * @param kept how many of the newest checkpoints are kept
 */
public record CheckpointSettings(String dir, int everyEpochs, int kept) {
  /** Reads {@code train.checkpoint-dir}, {@code train.checkpoint-every-epochs}, {@code train.checkpoints-kept}. */
  public static CheckpointSettings from(Settings settings) {
    return new CheckpointSettings(settings.string("train.checkpoint-dir"),
        settings.positiveInt("train.checkpoint-every-epochs"), settings.positiveInt("train.checkpoints-kept"));
  }

  /** The checkpoint directory of a model directory. */
  public String dirFor(String model) {
    return dir.isBlank() ? model.replaceAll("/+$", "") + ".checkpoints" : dir;
  }
}
