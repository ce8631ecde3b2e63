package dev.sparkvae.runtime;

/** A job that failed after YARN killed an executor's container for its memory; the message says what to raise. */
public final class ContainerKilledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ContainerKilledException(String advice, Throwable failure) {
    super(advice, failure);
  }
}
