package dev.sparkvae.jobs.spark;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureValidator;
import java.io.Serializable;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.unsafe.Platform;

/**
 * Reads the id and the features of Spark internal rows and checks them: the id and features are not null, there
 * are {@code featureCount} features, none null, and they pass the {@link FeatureValidator} (finite, in the support
 * of p(x|z)). The features are copied once, straight from the row into a caller's float buffer.
 *
 * <p>A bad row is described by a {@link BadRowException} naming its file (the file the scan is reading, from Spark's
 * input-file holder: "(unknown file)" when a shuffle lies between the scan and the reader), id, column and rule.
 */
public final class FeatureRows implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int idIndex;
  private final int featuresIndex;
  private final String featuresName;
  private final int featureCount;
  private final FeatureValidator validator;

  /**
   * @param idIndex the field of the id (long)
   * @param featuresIndex the field of the features (array&lt;float&gt;)
   * @param featuresName the features column as the user knows it, for messages
   */
  public FeatureRows(int idIndex, int featuresIndex, String featuresName, int featureCount,
      FeatureValidator validator) {
    this.idIndex = idIndex;
    this.featuresIndex = featuresIndex;
    this.featuresName = featuresName;
    this.featureCount = featureCount;
    this.validator = validator;
  }

  public int featureCount() {
    return featureCount;
  }

  /** The id of a row whose {@link #read} succeeded. */
  public long id(InternalRow row) {
    return row.getLong(idIndex);
  }

  /**
   * Copies the row's features into {@code buffer} at {@code offset} and checks the row.
   *
   * @return null for a good row, else why it is bad (the buffer's values are then meaningless)
   */
  public BadRowException read(InternalRow row, float[] buffer, int offset) {
    if (row.isNullAt(idIndex)) {
      return new BadRowException(currentFile(), "null", FeatureFrames.ID, "the id is null");
    }
    String problem = row.isNullAt(featuresIndex) ? "features are null"
        : copy(row.getArray(featuresIndex), buffer, offset);
    if (problem == null) {
      problem = validator.valueProblem(buffer, offset);
    }
    return problem == null ? null : new BadRowException(currentFile(), row.getLong(idIndex), featuresName, problem);
  }

  /** Copies the features into {@code buffer} at {@code offset}; the problem (count, null element) or null. */
  private String copy(ArrayData array, float[] buffer, int offset) {
    int count = array.numElements();
    if (count != featureCount) {
      return "has " + count + " features, expected " + featureCount;
    }
    if (array instanceof UnsafeArrayData unsafe) {
      // Layout: [count: 8 bytes][null bits: 8-byte words][values]; null words are checked whole, and the values
      // copied in one go.
      Object base = unsafe.getBaseObject();
      long header = UnsafeArrayData.calculateHeaderPortionInBytes(count);
      for (long word = 8; word < header; word += 8) {
        if (Platform.getLong(base, unsafe.getBaseOffset() + word) != 0) {
          return nullElement(array);
        }
      }
      Platform.copyMemory(base, unsafe.getBaseOffset() + header, buffer, Platform.FLOAT_ARRAY_OFFSET + 4L * offset,
          4L * count);
      return null;
    }
    for (int i = 0; i < count; i++) {
      if (array.isNullAt(i)) {
        return nullElement(array);
      }
      buffer[offset + i] = array.getFloat(i);
    }
    return null;
  }

  private static String nullElement(ArrayData array) {
    int i = 0;
    while (!array.isNullAt(i)) {
      i++;
    }
    return "value null at index " + i;
  }

  private static String currentFile() {
    String file = InputFileBlockHolder.getInputFilePath().toString();
    return file.isEmpty() ? "(unknown file)" : file;
  }
}
