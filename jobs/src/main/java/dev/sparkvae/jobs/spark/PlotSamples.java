package dev.sparkvae.jobs.spark;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sparkvae.data.FeatureValidator;
import dev.sparkvae.plot.PlotSample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The bounded sample of rows that plots are drawn from, collected to the driver. */
public final class PlotSamples {
  private PlotSamples() {}

  /**
   * At most {@code rows} rows of a normalised frame ({@link FeatureFrames}): those with the lowest hash of id and
   * {@code seed}, a uniform sample by id that is the same on every run, in that (random) order. Spark keeps only the
   * best {@code rows} rows per partition (a top-k, no sort of the data); each is validated as training validates.
   * Labels are kept when the frame has a label column with at least one value.
   *
   * @throws dev.sparkvae.data.BadRowException naming file, id and rule for a sampled row that fails validation
   */
  public static PlotSample collect(Dataset<Row> frame, FeatureValidator validator, int rows, long seed) {
    boolean labelled = Arrays.asList(frame.columns()).contains(FeatureFrames.LABEL);
    List<Column> columns = new ArrayList<>(List.of(col(FeatureFrames.ID), col(FeatureFrames.FEATURES),
        col(FeatureFrames.SOURCE_FILE)));
    if (labelled) {
      columns.add(col(FeatureFrames.LABEL));
    }
    List<Row> sample = frame.select(columns.toArray(new Column[0]))
        .orderBy(xxhash64(col(FeatureFrames.ID), lit(seed)), col(FeatureFrames.ID))
        .limit(rows)
        .collectAsList();
    long[] ids = new long[sample.size()];
    float[][] features = new float[sample.size()][];
    Integer[] labels = new Integer[sample.size()];
    for (int i = 0; i < ids.length; i++) {
      Row row = sample.get(i);
      features[i] = Minibatches.features(row, 0, 1, 2, validator);
      ids[i] = row.getLong(0);
      labels[i] = labelled && !row.isNullAt(3) ? row.getInt(3) : null;
    }
    boolean anyLabel = Arrays.stream(labels).anyMatch(Objects::nonNull);
    return new PlotSample(ids, features, anyLabel ? labels : null);
  }
}
