package dev.sparkvae.input;

import static org.apache.spark.ml.functions.vector_to_array;
import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.FeatureSchema;
import dev.sparkvae.rows.RowReader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Reads a Parquet or CSV input into the normalised frame every job works on: {@code id} (in its own type: an integer
 * or a string), {@code features} (array&lt;float&gt;; from CSV columns, array&lt;string&gt; of the raw fields,
 * parsed by {@link RowReader}), {@code label} (int, when configured) and {@code source_file}, so a bad row can be
 * traced to its file.
 */
public final class FeatureFrames {
  private static final String ID_TYPE_NAMES = "bigint, int, smallint, tinyint, string";
  private static final ArrayType FLOAT_ARRAY = DataTypes.createArrayType(DataTypes.FloatType);
  public static final String ID = "id";
  public static final String FEATURES = "features";
  public static final String LABEL = "label";
  public static final String SOURCE_FILE = "source_file";

  private FeatureFrames() {}

  /**
   * The normalised frame of {@code path}, followed by the input columns named in {@code keep}, as they are.
   *
   * @throws IOException when the path is missing, holds no data or a corrupt Parquet file, or a configured or kept
   *     column is absent
   */
  public static Dataset<Row> read(SparkSession spark, DataSettings data, String path, List<String> keep)
      throws IOException {
    return read(spark, data, InputFiles.check(spark, path, !"csv".equals(data.format()), false), keep);
  }

  /** The normalised frame of checked input files (corrupt ones left out), followed by the {@code keep} columns. */
  public static Dataset<Row> read(SparkSession spark, DataSettings data, InputFiles input, List<String> keep)
      throws IOException {
    return read(spark, data, input, keep, null);
  }

  /**
   * As {@link #read(SparkSession, DataSettings, InputFiles, List)} with the columns laid out by {@code layoutSource}
   * (e.g. "the model in DIR"), which messages about a missing column name instead of the settings keys.
   */
  public static Dataset<Row> read(SparkSession spark, DataSettings data, InputFiles input, List<String> keep,
      String layoutSource) throws IOException {
    String path = input.path();
    DataFrameReader reader = spark.read();
    String[] files = {path};
    if (!input.corrupt().isEmpty()) {
      // Only the good files, with partition columns still discovered from the directory below the input.
      reader = reader.option("basePath", path);
      files = input.files().toArray(new String[0]);
    }
    Dataset<Row> raw = "csv".equals(data.format())
        ? reader.option("header", "true").option("inferSchema", "true").csv(files)
        : reader.parquet(files);
    return normalize(raw, input_file_name(), data, "input " + path, keep, layoutSource);
  }

  /**
   * The normalised frame of any dataset with the columns {@code data} names, followed by the {@code keep} columns.
   * The id keeps its own type (one of {@link RowReader#ID_TYPES}); the features become array&lt;float&gt; from an array of any
   * numeric type, a Spark ML vector (dense or sparse) or named numeric columns (text fields of CSV columns stay text,
   * for {@link RowReader} to parse and name).
   *
   * @param sourceFile the file each row comes from ({@code input_file_name()} for files, "" for none)
   * @param what the input, for messages (e.g. "input PATH" or "the dataset")
   * @param layoutSource who laid out the columns (e.g. "the model in DIR"), or null for the settings keys
   * @throws IOException naming the input, the column, its type and the types accepted, for a missing column or one
   *     of a type that cannot be read
   */
  public static Dataset<Row> normalize(Dataset<Row> raw, Column sourceFile, DataSettings data, String what,
      List<String> keep, String layoutSource) throws IOException {
    StructType schema = raw.schema();
    List<String> columns = Arrays.asList(raw.columns());
    require(columns, data.idColumn(), origin("data.id-column", layoutSource), what);
    DataType idType = schema.apply(data.idColumn()).dataType();
    if (!RowReader.ID_TYPES.contains(idType)) {
      throw new IOException(String.format("Cannot read %s: its id column %s has type %s; an id must be one of "
          + "%s", what, data.idColumn(), idType.simpleString(), ID_TYPE_NAMES));
    }
    List<Column> selected = new ArrayList<>();
    selected.add(col(data.idColumn()).as(ID));
    if (data.featureColumns().isEmpty()) {
      require(columns, data.featuresColumn(), origin("data.features-column", layoutSource), what);
      selected.add(featuresOf(data.featuresColumn(), schema.apply(data.featuresColumn()).dataType(), what)
          .as(FEATURES));
    } else {
      Column[] parts = new Column[data.featureColumns().size()];
      for (int i = 0; i < parts.length; i++) {
        String name = data.featureColumns().get(i);
        require(columns, name, origin("data.feature-columns", layoutSource), what);
        DataType type = schema.apply(name).dataType();
        boolean text = type.equals(DataTypes.StringType) && "csv".equals(data.format());
        if (!(type instanceof NumericType) && !text) {
          throw new IOException(String.format("Cannot read %s: its feature column %s has type %s; a feature "
              + "column must be numeric", what, name, type.simpleString()));
        }
        // CSV fields stay text, parsed by RowReader, so a field that is not a number is named with its value.
        parts[i] = col(name).cast("csv".equals(data.format()) ? DataTypes.StringType : DataTypes.FloatType);
      }
      selected.add(array(parts).as(FEATURES));
    }
    if (data.hasLabel()) {
      selected.add(columns.contains(data.labelColumn())
          ? col(data.labelColumn()).cast(DataTypes.IntegerType).as(LABEL)
          : lit(null).cast(DataTypes.IntegerType).as(LABEL));
    }
    selected.add(sourceFile.as(SOURCE_FILE));
    for (String name : keep) {
      require(columns, name, "set by --keep", what);
      if (List.of(ID, FEATURES, SOURCE_FILE).contains(name) || data.hasLabel() && LABEL.equals(name)) {
        throw new IOException("Cannot keep column " + name + " of " + what + ": the output has its own " + name);
      }
      selected.add(col(name));
    }
    return raw.select(selected.toArray(new Column[0]));
  }

  /**
   * The features of column {@code name} of type {@code type} as array&lt;float&gt;.
   *
   * @throws IOException naming the column, its type and the types accepted
   */
  public static Column featuresOf(String name, DataType type, String what) throws IOException {
    if (type instanceof ArrayType array && array.elementType() instanceof NumericType) {
      return type.sameType(FLOAT_ARRAY) ? col(name) : col(name).cast(FLOAT_ARRAY);
    }
    if (type instanceof VectorUDT) {
      return vector_to_array(col(name), "float32");
    }
    throw new IOException(String.format("Cannot read %s: its features column %s has type %s; the features "
        + "must be an array of numbers, a Spark ML vector, or numeric columns named by data.feature-columns", what,
        name, type.simpleString()));
  }

  /** The id as the key that seeds and splits hash: an integer id as a long (its value), a text id as it is. */
  public static Column idKey(Dataset<Row> frame) {
    return frame.schema().apply(ID).dataType().equals(DataTypes.StringType) ? col(ID)
        : col(ID).cast(DataTypes.LongType);
  }

  /**
   * The feature schema of a normalised frame; the feature count of an array column is read from its first row.
   *
   * @throws IOException when the input has no rows
   */
  public static FeatureSchema schemaOf(Dataset<Row> frame, DataSettings data, String what) throws IOException {
    List<Row> head = frame.select(FEATURES).takeAsList(1);
    if (head.isEmpty()) {
      throw new IOException("Cannot use " + what + ": it has no rows");
    }
    Row first = head.get(0);
    int count = data.featureColumns().isEmpty()
        ? (first.isNullAt(0) ? 0 : first.getList(0).size())
        : data.featureColumns().size();
    if (count == 0) {
      throw new IOException("Cannot use " + what + ": the first row has no features in column "
          + data.featuresColumn());
    }
    return new FeatureSchema(data.idColumn(), data.labelColumn(),
        data.featureColumns().isEmpty() ? data.featuresColumn() : "", data.featureColumns(), count);
  }

  private static String origin(String key, String layoutSource) {
    return layoutSource == null ? "set by " + key : "expected by " + layoutSource;
  }

  private static void require(List<String> columns, String name, String origin, String path) throws IOException {
    if (!columns.contains(name)) {
      throw new IOException(String.format("Cannot read %s: it has no column %s (%s); its columns are %s",
          path, name, origin, columns));
    }
  }
}
