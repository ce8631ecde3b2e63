package dev.sparkvae.input;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sparkvae.data.BadRowException;
import dev.sparkvae.plot.PlotSample;
import dev.sparkvae.rows.InternalRows;
import dev.sparkvae.rows.RowReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;

/** The bounded sample of rows that plots are drawn from, collected to the driver. */
public final class PlotSamples {
  private PlotSamples() {}

  /**
   * At most {@code rows} rows of a normalised frame ({@link FeatureFrames}): those with the lowest hash of id and
   * {@code seed}, a uniform sample by id that is the same on every run, in that (random) order. Spark keeps only the
   * best {@code rows} rows per partition (a top-k, no sort of the data); each is read and checked by {@code check}
   * (the reader of {@code frame}'s rows, as training and scoring use it). Labels are kept when the frame has a label
   * column with at least one value.
   *
   * @throws dev.sparkvae.data.BadRowException naming file, id and rule for a sampled row that fails validation
   */
  public static PlotSample collect(Dataset<Row> frame, RowReader check, int rows, long seed) {
    boolean labelled = Arrays.asList(frame.columns()).contains(FeatureFrames.LABEL);
    List<Column> columns = new ArrayList<>(List.of(col(FeatureFrames.ID), col(FeatureFrames.FEATURES),
        col(FeatureFrames.SOURCE_FILE)));
    if (labelled) {
      columns.add(col(FeatureFrames.LABEL));
    }
    InternalRow[] sample = InternalRows.collect(frame.select(columns.toArray(new Column[0]))
        .orderBy(xxhash64(FeatureFrames.idKey(frame), lit(seed)), col(FeatureFrames.ID))
        .limit(rows));
    RowReader sampled = check.at(0, 1, 2);
    long[] ids = new long[sample.length];
    float[][] features = new float[sample.length][];
    Integer[] labels = new Integer[sample.length];
    for (int i = 0; i < ids.length; i++) {
      InternalRow row = sample[i];
      features[i] = new float[check.featureCount()];
      BadRowException bad = sampled.read(row, features[i], 0);
      if (bad != null) {
        throw bad;
      }
      ids[i] = sampled.id(row);
      labels[i] = labelled && !row.isNullAt(3) ? row.getInt(3) : null;
    }
    boolean anyLabel = Arrays.stream(labels).anyMatch(Objects::nonNull);
    return new PlotSample(ids, features, anyLabel ? labels : null);
  }
}
