package dev.sparkvae.config;

/** A setting that is unknown, of the wrong type or out of range; the message names key, value and rule. */
public class InvalidSettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;
  public InvalidSettingException(String message) {
    super(message);
  }
}
