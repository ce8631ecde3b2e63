package dev.sparkvae.cli;

import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.data.BadRowException;
import dev.sparkvae.runtime.ContainerKilledException;
import dev.sparkvae.training.TrainingDivergedException;

/** The one line a failed job tells its user. */
public final class Failures {
  private Failures() {}

  /**
   * The message users need: ours when one of our errors is in the chain, else the deepest cause's, without the
   * stack trace that Spark appends to task failures.
   */
  public static String reason(Throwable e) {
    Throwable deepest = e;
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BadRowException || t instanceof InvalidSettingException
          || t instanceof TrainingDivergedException || t instanceof ContainerKilledException) {
        return t.getMessage();
      }
      if (t.getMessage() != null) {
        deepest = t;
      }
    }
    String message = String.valueOf(deepest.getMessage());
    int trace = message.indexOf("\n\tat ");
    return trace < 0 ? message : message.substring(0, trace);
  }
}
