package dev.sparkvae.config;

/**
 * The progress line of a running job on the console (keys {@code progress.*}; defaults in
 * {@code conf/defaults.conf}).
 *
 * @param console {@value #AUTO} (shown when stderr is a terminal), {@value #ON} or {@value #OFF}
 * @param intervalSeconds seconds between two updates of the line
 */
public record ProgressSettings(String console, double intervalSeconds) {
  public static final String AUTO = "auto";
  public static final String ON = "on";
  public static final String OFF = "off";

  /** Reads {@code progress.*}. */
  public static ProgressSettings from(Settings settings) {
    return new ProgressSettings(settings.oneOf("progress.console", AUTO, ON, OFF),
        settings.positiveDouble("progress.interval-seconds"));
  }
}
