package dev.sparkvae.data;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Packs feature vectors into minibatches of at most {@code batchSize} rows through one preallocated float buffer,
 * without an INDArray per row.
 */
public final class FeatureBatcher {
  private final int batchSize;
  private final int featureCount;
  private final float[] buffer;
  private int rows;

  public FeatureBatcher(int batchSize, int featureCount) {
    this.batchSize = batchSize;
    this.featureCount = featureCount;
    this.buffer = new float[Math.multiplyExact(batchSize, featureCount)];
  }

  /** Appends one row of {@code featureCount} values; true when the batch is full. */
  public boolean add(float[] values) {
    System.arraycopy(values, 0, buffer, nextOffset(), featureCount);
    return commit();
  }

  /**
   * Where the next row starts in {@link #buffer()}: write {@code featureCount} values there, then {@link #commit()}
   * them (or write over them with the next row, to drop it).
   */
  public int nextOffset() {
    return rows * featureCount;
  }

  /** Adds the row written at {@link #nextOffset()}; true when the batch is full. */
  public boolean commit() {
    return ++rows == batchSize;
  }

  /** Rows added since the last {@link #take()}. */
  public int size() {
    return rows;
  }

  /** The buffer the rows are packed into, row-major; the first {@link #size()} rows are valid until {@link #clear()}. */
  public float[] buffer() {
    return buffer;
  }

  /** Empties the batcher; the buffer is reused. */
  public void clear() {
    rows = 0;
  }

  /**
   * The rows added so far as a new rows × features float array; the batcher is empty afterwards. The values are
   * copied in one block ({@code Nd4j.create(float[], ...)} would copy them one by one).
   */
  public INDArray take() {
    float[] values = rows == batchSize ? buffer : Arrays.copyOf(buffer, rows * featureCount);
    long[] shape = {rows, featureCount};
    INDArray batch = Nd4j.create(Nd4j.createBuffer(values), shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
    rows = 0;
    return batch;
  }
}
