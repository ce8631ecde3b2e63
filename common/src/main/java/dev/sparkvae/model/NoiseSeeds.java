package dev.sparkvae.model;

/**
 * Seeds for sampling noise derived from stable inputs only (run seed, partition, step or batch index), never from
 * the clock or the task attempt, so that a retried Spark task writes exactly what the first attempt would have.
 */
public final class NoiseSeeds {
  private NoiseSeeds() {}

  /** A well-mixed 64-bit seed of the three inputs. */
  public static long of(long runSeed, int partition, long index) {
    long h = runSeed * 0x9E3779B97F4A7C15L + partition;
    h = (h ^ (h >>> 29)) * 0xBF58476D1CE4E5B9L + index;
    h = (h ^ (h >>> 32)) * 0x94D049BB133111EBL;
    return h ^ (h >>> 29);
  }
}
