package dev.sparkvae.jobs.spark;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;

import dev.sparkvae.config.DataSettings;
import dev.sparkvae.data.FeatureSchema;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Reads a Parquet or CSV input into the normalised frame every job works on: {@code id} (long), {@code features}
 * (array&lt;float&gt;; from CSV columns, array&lt;string&gt; of the raw fields, parsed by {@link FeatureRows}),
 * {@code label} (int, when configured) and {@code source_file}, so a bad row can be traced to its file.
 */
public final class FeatureFrames {
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
    List<String> columns = Arrays.asList(raw.columns());
    require(columns, data.idColumn(), origin("data.id-column", layoutSource), path);
    List<Column> selected = new ArrayList<>();
    selected.add(col(data.idColumn()).cast(DataTypes.LongType).as(ID));
    if (data.featureColumns().isEmpty()) {
      require(columns, data.featuresColumn(), origin("data.features-column", layoutSource), path);
      selected.add(col(data.featuresColumn()).cast("array<float>").as(FEATURES));
    } else {
      Column[] parts = new Column[data.featureColumns().size()];
      for (int i = 0; i < parts.length; i++) {
        String name = data.featureColumns().get(i);
        require(columns, name, origin("data.feature-columns", layoutSource), path);
        // CSV fields stay text, parsed by FeatureRows, so a field that is not a number is named with its value.
        parts[i] = col(name).cast("csv".equals(data.format()) ? DataTypes.StringType : DataTypes.FloatType);
      }
      selected.add(array(parts).as(FEATURES));
    }
    if (data.hasLabel()) {
      selected.add(columns.contains(data.labelColumn())
          ? col(data.labelColumn()).cast(DataTypes.IntegerType).as(LABEL)
          : lit(null).cast(DataTypes.IntegerType).as(LABEL));
    }
    selected.add(input_file_name().as(SOURCE_FILE));
    for (String name : keep) {
      require(columns, name, "set by --keep", path);
      if (List.of(ID, FEATURES, SOURCE_FILE).contains(name) || data.hasLabel() && LABEL.equals(name)) {
        throw new IOException("Cannot keep column " + name + " of " + path + ": the output has its own " + name);
      }
      selected.add(col(name));
    }
    return raw.select(selected.toArray(new Column[0]));
  }

  /**
   * The feature schema of a normalised frame; the feature count of an array column is read from its first row.
   *
   * @throws IOException when the input has no rows
   */
  public static FeatureSchema schemaOf(Dataset<Row> frame, DataSettings data, String path) throws IOException {
    List<Row> head = frame.select(FEATURES).takeAsList(1);
    if (head.isEmpty()) {
      throw new IOException("Cannot use input " + path + ": it has no rows");
    }
    Row first = head.get(0);
    int count = data.featureColumns().isEmpty()
        ? (first.isNullAt(0) ? 0 : first.getList(0).size())
        : data.featureColumns().size();
    if (count == 0) {
      throw new IOException("Cannot use input " + path + ": the first row has no features in column "
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
      throw new IOException(String.format("Cannot read input %s: it has no column %s (%s); its columns are %s",
          path, name, origin, columns));
    }
  }
}
