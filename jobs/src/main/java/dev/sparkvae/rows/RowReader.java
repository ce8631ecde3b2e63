package dev.sparkvae.rows;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.data.FeatureValidator;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.XXH64;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;
import org.apache.spark.unsafe.types.UTF8String;

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
public final class RowReader implements Serializable {
  private static final long serialVersionUID = 1L;
  /** Spark's seed of {@code xxhash64}. */
  private static final long STRING_ID_SEED = 42;
  /** The types an id column may have, in the order of {@link IdKind}. */
  public static final List<DataType> ID_TYPES = List.of(DataTypes.LongType, DataTypes.IntegerType,
      DataTypes.ShortType, DataTypes.ByteType, DataTypes.StringType);

  private final int idIndex;
  private final String idName;
  private final IdKind idKind;
  private final int featuresIndex;
  private final String featuresName;
  private final List<String> fieldNames;
  private final int featureCount;
  private final FeatureValidator validator;
  private final int fileIndex;

  /** How an id field is read: its Spark type, one of {@link #ID_TYPES}. */
  private enum IdKind {
    LONG, INT, SHORT, BYTE, STRING;

    static IdKind of(DataType type) {
      return IdKind.values()[ID_TYPES.indexOf(type)];
    }
  }

  private RowReader(int idIndex, String idName, IdKind idKind, int featuresIndex, String featuresName,
      List<String> fieldNames, int featureCount, FeatureValidator validator, int fileIndex) {
    this.idIndex = idIndex;
    this.idName = idName;
    this.idKind = idKind;
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
  public RowReader at(int idIndex, int featuresIndex, int fileIndex) {
    return new RowReader(idIndex, idName, idKind, featuresIndex, featuresName, fieldNames, featureCount, validator,
        fileIndex);
  }

  /**
   * The reader of rows of {@code schema} for a model: the id of any of {@link #ID_TYPES}; text fields
   * named by the model's feature columns when the features column is an array&lt;string&gt; (CSV), else an
   * array&lt;float&gt;.
   *
   * @param featuresName the features column as the user knows it, for messages
   * @throws IllegalArgumentException when the id column has another type
   */
  public static RowReader of(StructType schema, String idColumn, String featuresColumn, String featuresName,
      FeatureSchema model, String distribution) {
    DataType idType = schema.apply(idColumn).dataType();
    if (!ID_TYPES.contains(idType)) {
      throw new IllegalArgumentException("Cannot read ids of type " + idType.simpleString() + " from column "
          + idColumn + ": an id must be an integer or a string");
    }
    boolean text = isText(schema, featuresColumn) && !model.featureColumns().isEmpty();
    return new RowReader(schema.fieldIndex(idColumn), idColumn, IdKind.of(idType), schema.fieldIndex(featuresColumn),
        featuresName, text ? model.featureColumns() : List.of(), model.featureCount(),
        new FeatureValidator(model.featureCount(), distribution), -1);
  }

  /** Whether the features are read from text fields (and need no cast to floats). */
  public static boolean isText(StructType schema, String featuresColumn) {
    return schema.apply(featuresColumn).dataType() instanceof ArrayType array
        && array.elementType().equals(DataTypes.StringType);
  }

  public int featureCount() {
    return featureCount;
  }

  /**
   * The key of the id of a row whose {@link #read} succeeded, which seeds its sampling noise: an integer id's value,
   * a string id's 64-bit xxHash of its UTF-8 bytes (stable across JVMs and runs).
   */
  public long id(InternalRow row) {
    return switch (idKind) {
      case LONG -> row.getLong(idIndex);
      case INT -> row.getInt(idIndex);
      case SHORT -> row.getShort(idIndex);
      case BYTE -> row.getByte(idIndex);
      case STRING -> {
        UTF8String text = row.getUTF8String(idIndex);
        yield XXH64.hashUnsafeBytes(text.getBaseObject(), text.getBaseOffset(), text.numBytes(), STRING_ID_SEED);
      }
    };
  }

  /** The id of a row as it reads in messages. */
  private Object idText(InternalRow row) {
    return idKind == IdKind.STRING ? "\"" + row.getUTF8String(idIndex) + "\"" : id(row);
  }

  /**
   * Copies the row's features into {@code buffer} at {@code offset} and checks the row.
   *
   * @return null for a good row, else why it is bad (the buffer's values are then meaningless)
   */
  public BadRowException read(InternalRow row, float[] buffer, int offset) {
    if (row.isNullAt(idIndex)) {
      return new BadRowException(file(row), "null", idName, "the id is null");
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
        // Through double, as Spark casts a CSV number: the same float as the column read as a number.
        buffer[offset + i] = (float) Double.parseDouble(text);
      } catch (NumberFormatException e) {
        return bad(row, fieldNames.get(i), "value '" + text + "' is not a number");
      }
    }
    int i = validator.firstBadValue(buffer, offset);
    return i < 0 ? null : bad(row, fieldNames.get(i), "value " + buffer[offset + i] + " "
        + validator.rule(buffer[offset + i]));
  }

  private BadRowException bad(InternalRow row, String column, String problem) {
    return new BadRowException(file(row), idText(row), column, problem);
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
