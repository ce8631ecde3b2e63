package dev.sparkvae.bench;

import java.util.Arrays;

/**
 * A data set cut into batches of one size (the last one may be shorter), each a row-major float array.
 *
 * @param rows per batch, row-major count × featureCount floats
 * @param counts rows per batch
 * @param featureCount width of a row
 */
record Batches(float[][] rows, int[] counts, int featureCount) {
  static Batches of(float[][] images, int batchSize) {
    int featureCount = images[0].length;
    int batches = (images.length + batchSize - 1) / batchSize;
    float[][] rows = new float[batches][];
    int[] counts = new int[batches];
    for (int b = 0; b < batches; b++) {
      int first = b * batchSize;
      counts[b] = Math.min(batchSize, images.length - first);
      rows[b] = new float[counts[b] * featureCount];
      for (int r = 0; r < counts[b]; r++) {
        System.arraycopy(images[first + r], 0, rows[b], r * featureCount, featureCount);
      }
    }
    return new Batches(rows, counts, featureCount);
  }

  int totalRows() {
    return Arrays.stream(counts).sum();
  }

  int size() {
    return counts.length;
  }
}
