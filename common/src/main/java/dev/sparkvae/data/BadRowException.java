package dev.sparkvae.data;

/** A row that cannot be used; the message names file, row id, column and the rule it breaks. */
public class BadRowException extends RuntimeException {
  public BadRowException(String file, Object id, String column, String problem) {
    super(String.format("Bad row in %s: id=%s, column %s: %s", file, id, column, problem));
  }
}
