package dev.sparkvae.inference;

import java.util.Arrays;

/**
 * The {@code features} features contributing most to each row's anomaly score, per row largest contribution first
 * (ties: lower index first); arrays are rows × {@code features}, row-major.
 *
 * @param features the features listed per row
 * @param index each one's index in the row
 * @param contribution its term of the anomaly score (nats); over all features they add up to the score
 * @param value its value in the row
 * @param expected the mean of p(x|z) for it at z = the mean of q(z|x), in the row's units
 */
public record Attribution(int features, int[] index, float[] contribution, float[] value, float[] expected) {

  /**
   * The {@code k} largest of each row's contributions, with their values and expected values.
   *
   * @param rows count × featureCount values, row-major
   * @param contributions count × featureCount terms of the anomaly score
   * @param reconstruction count × featureCount means of p(x|z)
   */
  static Attribution largest(int k, int featureCount, float[] rows, int count, float[] contributions,
      float[] reconstruction) {
    int[] index = new int[count * k];
    float[] contribution = new float[count * k];
    float[] value = new float[count * k];
    float[] expected = new float[count * k];
    long[] order = new long[featureCount];
    for (int r = 0; r < count; r++) {
      int row = r * featureCount;
      for (int f = 0; f < featureCount; f++) {
        order[f] = descendingKey(contributions[row + f], f);
      }
      Arrays.sort(order);
      for (int i = 0; i < k; i++) {
        int f = (int) order[i];
        index[r * k + i] = f;
        contribution[r * k + i] = contributions[row + f];
        value[r * k + i] = rows[row + f];
        expected[r * k + i] = reconstruction[row + f];
      }
    }
    return new Attribution(k, index, contribution, value, expected);
  }

  /**
   * A key that sorts ascending as {@code contribution} descending, then {@code index} ascending: the bits of
   * −contribution (−0 read as 0) made to order as signed integers, above the index.
   */
  private static long descendingKey(float contribution, int index) {
    int bits = Float.floatToIntBits(-contribution + 0.0f);
    bits ^= (bits >> 31) & Integer.MAX_VALUE;
    return ((long) bits << 32) | index;
  }
}
