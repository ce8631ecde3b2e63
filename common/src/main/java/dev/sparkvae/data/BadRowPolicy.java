package dev.sparkvae.data;

/**
 * What a job does with an input row that fails validation ({@code --on-bad-rows}; default {@link #FAIL}). A bad row
 * has a null id or features, the wrong number of features, a null, NaN or infinite value, a value outside the
 * support of the reconstruction distribution (Bernoulli needs [0, 1]), or a CSV field that is not a number.
 */
public enum BadRowPolicy {
  /** Stop the job with a message naming the file, row id, column and rule; write nothing. */
  FAIL,
  /** Leave the row out and count it. */
  SKIP,
  /** Leave the row out, count it, and write it with its reason under the output's {@code _quarantine/}. */
  QUARANTINE
}
