package dev.sparkvae.inference;

import dev.sparkvae.model.VaeMaths;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The encoder on ND4J through {@link VaeMaths#encodeJoint}: the reference the other engines are checked against.
 *
 * <p>Threads: ND4J's process-wide settings (OpenMP and OpenBLAS threads, {@code OMP_NUM_THREADS}), not per engine.
 * Safe to share between threads (the model is only read). Each call copies the rows into a new off-heap array and
 * the result back to the heap; the garbage collector frees the off-heap arrays, so keep
 * {@code org.bytedeco.javacpp.maxbytes} above a few batches.
 */
public final class Nd4jEncoderEngine implements EncoderEngine {
  private final VaeMaths model;

  public Nd4jEncoderEngine(VaeMaths model) {
    this.model = model;
  }

  @Override
  public float[] encodeJoint(float[] rows, int count) {
    InferenceEngines.checkRows(this, rows, count);
    if (count == 0) {
      return new float[0];
    }
    int length = count * model.featureCount();
    INDArray x = Nd4j.create(rows.length == length ? rows : Arrays.copyOf(rows, length),
        new long[] {count, model.featureCount()}, 'c');
    return model.encodeJoint(x).dup('c').data().asFloat();
  }

  @Override
  public int featureCount() {
    return model.featureCount();
  }

  @Override
  public int latentSize() {
    return model.latentSize();
  }

  @Override
  public void close() {
    // Nothing native is held: off-heap arrays go with the garbage collector.
  }
}
