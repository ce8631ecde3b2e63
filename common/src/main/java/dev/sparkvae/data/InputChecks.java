package dev.sparkvae.data;

/**
 * How a job treats bad input (defaults: {@link #DEFAULTS}).
 *
 * @param onBadRows what to do with a row that fails validation (default fail)
 * @param ignoreCorruptFiles leave unreadable Parquet files out, reported, instead of failing (default false)
 * @param countDuplicateIds count rows whose id another row has too, and warn (default true; costs one shuffle of
 *     the ids)
 */
public record InputChecks(BadRowPolicy onBadRows, boolean ignoreCorruptFiles, boolean countDuplicateIds) {
  public static final InputChecks DEFAULTS = new InputChecks(BadRowPolicy.FAIL, false, true);

  /** The defaults with another bad-row policy. */
  public static InputChecks onBadRows(BadRowPolicy policy) {
    return new InputChecks(policy, DEFAULTS.ignoreCorruptFiles(), DEFAULTS.countDuplicateIds());
  }
}
