package dev.sparkvae.plot;

/**
 * The rows a set of plots is drawn from: a bounded sample, small enough for the driver.
 *
 * @param ids row ids
 * @param features one feature vector per row
 * @param labels one label per row (an element may be null), or null when the data has no label column
 */
public record PlotSample(long[] ids, float[][] features, Integer[] labels) {
  public PlotSample {
    if (ids.length != features.length || labels != null && labels.length != ids.length) {
      throw new IllegalArgumentException(String.format("Cannot make a plot sample of %d ids, %d feature rows and "
          + "%s labels", ids.length, features.length, labels == null ? "no" : String.valueOf(labels.length)));
    }
  }

  public int size() {
    return ids.length;
  }
}
