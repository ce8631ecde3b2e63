package dev.sparkvae.jobs;

import dev.sparkvae.data.BadRowPolicy;
import picocli.CommandLine.Option;

/**
 * How a job treats bad input, for every job that reads rows: {@code --on-bad-rows} (default fail),
 * {@code --ignore-corrupt-files} (default off) and {@code --skip-duplicate-check} (default off: duplicate ids are
 * counted, at the cost of one shuffle of the ids).
 */
public final class InputChecks {
  @Option(names = "--on-bad-rows", paramLabel = "MODE",
      description = "A row that fails validation: fail (the default: stop, naming file, row id, column and rule), "
          + "skip (leave it out, counted) or quarantine (leave it out and write it with its reason under the "
          + "output's _quarantine/).")
  private BadRowPolicy onBadRows = BadRowPolicy.FAIL;

  @Option(names = "--ignore-corrupt-files",
      description = "Leave out input Parquet files that cannot be read (reported) instead of failing.")
  private boolean ignoreCorruptFiles;

  @Option(names = "--skip-duplicate-check",
      description = "Do not count rows whose id another row has too (saves one shuffle of the ids).")
  private boolean skipDuplicateCheck;

  /** What to do with a row that fails validation. */
  public BadRowPolicy onBadRows() {
    return onBadRows;
  }

  public InputChecks onBadRows(BadRowPolicy policy) {
    onBadRows = policy;
    return this;
  }

  /** Leave unreadable Parquet files out, reported, instead of failing. */
  public boolean ignoreCorruptFiles() {
    return ignoreCorruptFiles;
  }

  public InputChecks ignoreCorruptFiles(boolean value) {
    ignoreCorruptFiles = value;
    return this;
  }

  /** Count the rows whose id another row has too, and warn. */
  public boolean countDuplicateIds() {
    return !skipDuplicateCheck;
  }

  public InputChecks countDuplicateIds(boolean value) {
    skipDuplicateCheck = !value;
    return this;
  }
}
