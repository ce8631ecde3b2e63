package dev.sparkvae.model;

/**
 * One line of {@code metrics.json}.
 *
 * @param epoch 1-based epoch number
 * @param trainNegElbo mean negative ELBO per training example over the epoch's minibatches (nats)
 * @param testNegElbo mean negative ELBO per held-out example after the epoch (nats)
 * @param seconds wall time of the epoch's training (evaluation excluded)
 * @param examples training examples seen in the epoch
 */
public record EpochMetrics(int epoch, double trainNegElbo, double testNegElbo, double seconds, long examples) {}
