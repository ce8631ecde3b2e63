package dev.sparkvae.training;

/** Training produced a non-finite loss; the message names where. */
public class TrainingDivergedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  public TrainingDivergedException(String message) {
    super(message);
  }
}
