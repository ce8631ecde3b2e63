package dev.sparkvae.jobs.spark;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureValidator;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * Reads the id and the features of Spark internal rows and checks them: the id and features are not null, there
 * are {@code featureCount} features, none null, and they pass the {@link FeatureValidator} (finite, in the support
 * of p(x|z)). Features are an array&lt;float&gt;, copied once, straight from the row into a caller's float buffer,
 * or, from CSV, an array&lt;string&gt; of the raw fields of named columns, parsed here so that a field that is not a
 * number is reported with its column and value.
 *
 * <p>A bad row is described by a {@link BadRowException} naming its file, id, column and rule. The file is the one the
 * scan is reading (Spark's input-file holder), or, for rows that crossed a shuffle (which loses the holder), the
 * value of a file-name field ({@link #at}); "(unknown file)" when neither is known.
 */
public final class FeatureRows implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int idIndex;
  private final int featuresIndex;
  private final String featuresName;
  private final List<String> fieldNames;
  private final int featureCount;
  private final FeatureValidator validator;
  private final int fileIndex;

  /**
   * Features in an array&lt;float&gt; column.
   *
   * @param idIndex the field of the id (long)
   * @param featuresIndex the field of the features (array&lt;float&gt;)
   * @param featuresName the features column as the user knows it, for messages
   */
  public FeatureRows(int idIndex, int featuresIndex, String featuresName, int featureCount,
      FeatureValidator validator) {
    this(idIndex, featuresIndex, featuresName, List.of(), featureCount, validator);
  }

  /**
   * Features as raw text fields of the columns {@code fieldNames} (CSV) gathered in an array&lt;string&gt;, or, when
   * {@code fieldNames} is empty, as an array&lt;float&gt; column called {@code featuresName}.
   */
  public FeatureRows(int idIndex, int featuresIndex, String featuresName, List<String> fieldNames, int featureCount,
      FeatureValidator validator) {
    this(idIndex, featuresIndex, featuresName, fieldNames, featureCount, validator, -1);
  }

  private FeatureRows(int idIndex, int featuresIndex, String featuresName, List<String> fieldNames, int featureCount,
      FeatureValidator validator, int fileIndex) {
    this.idIndex = idIndex;
    this.featuresIndex = featuresIndex;
    this.featuresName = featuresName;
    this.fieldNames = List.copyOf(fieldNames);
    this.featureCount = featureCount;
    this.validator = validator;
    this.fileIndex = fileIndex;
  }

  /**
   * This reader and checks for rows whose id, features and source file name (a string, as {@code input_file_name()}
   * gives) are the fields {@code idIndex}, {@code featuresIndex} and {@code fileIndex}.
   */
  public FeatureRows at(int idIndex, int featuresIndex, int fileIndex) {
    return new FeatureRows(idIndex, featuresIndex, featuresName, fieldNames, featureCount, validator, fileIndex);
  }

  /**
   * The reader of rows of {@code schema} for a model: text fields named by the model's feature columns when the
   * features column is an array&lt;string&gt; (CSV), else an array&lt;float&gt;.
   *
   * @param featuresName the features column as the user knows it, for messages
   */
  public static FeatureRows of(StructType schema, String idColumn, String featuresColumn, String featuresName,
      FeatureSchema model, String distribution) {
    boolean text = isText(schema, featuresColumn) && !model.featureColumns().isEmpty();
    return new FeatureRows(schema.fieldIndex(idColumn), schema.fieldIndex(featuresColumn), featuresName,
        text ? model.featureColumns() : List.of(), model.featureCount(),
        new FeatureValidator(model.featureCount(), distribution));
  }

  /** Whether the features are read from text fields (and need no cast to floats). */
  public static boolean isText(StructType schema, String featuresColumn) {
    return schema.apply(featuresColumn).dataType() instanceof ArrayType array
        && array.elementType().equals(DataTypes.StringType);
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
      return new BadRowException(file(row), "null", FeatureFrames.ID, "the id is null");
    }
    if (row.isNullAt(featuresIndex)) {
      return bad(row, featuresName, "features are null");
    }
    ArrayData array = row.getArray(featuresIndex);
    if (!fieldNames.isEmpty()) {
      return parse(row, array, buffer, offset);
    }
    String problem = copy(array, buffer, offset);
    if (problem == null) {
      problem = validator.valueProblem(buffer, offset);
    }
    return problem == null ? null : bad(row, featuresName, problem);
  }

  /** Parses the text fields into {@code buffer}; the first field that is missing, not a number or bad. */
  private BadRowException parse(InternalRow row, ArrayData fields, float[] buffer, int offset) {
    for (int i = 0; i < featureCount; i++) {
      if (fields.isNullAt(i)) {
        return bad(row, fieldNames.get(i), "the value is missing");
      }
      String text = fields.getUTF8String(i).toString();
      try {
        buffer[offset + i] = Float.parseFloat(text);
      } catch (NumberFormatException e) {
        return bad(row, fieldNames.get(i), "value '" + text + "' is not a number");
      }
    }
    int i = validator.firstBadValue(buffer, offset);
    return i < 0 ? null : bad(row, fieldNames.get(i), "value " + buffer[offset + i] + " "
        + validator.rule(buffer[offset + i]));
  }

  private BadRowException bad(InternalRow row, String column, String problem) {
    return new BadRowException(file(row), row.getLong(idIndex), column, problem);
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

  private String file(InternalRow row) {
    String file = fileIndex < 0 ? InputFileBlockHolder.getInputFilePath().toString()
        : row.isNullAt(fileIndex) ? "" : row.getUTF8String(fileIndex).toString();
    return file.isEmpty() ? "(unknown file)" : file;
  }
}
