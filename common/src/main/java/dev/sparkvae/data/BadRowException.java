package dev.sparkvae.data;

/** A row that cannot be used; the message names file, row id, column and the rule it breaks. */
public class BadRowException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String reason;

  /**
   * @param file the file the row came from
   * @param id the row id ("null" when missing)
   * @param column the column at fault
   * @param problem the rule it breaks, with the value
   */
  public BadRowException(String file, Object id, String column, String problem) {
    super(String.format("Bad row in %s: id=%s, column %s: %s", file, id, column, problem));
    this.reason = "column " + column + ": " + problem;
  }

  /** The column and the rule, without file and id (e.g. for a quarantined row, which has those as columns). */
  public String reason() {
    return reason;
  }
}
