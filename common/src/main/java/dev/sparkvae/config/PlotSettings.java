package dev.sparkvae.config;

import java.util.Arrays;

/**
 * What the plots show (keys {@code plot.*}; defaults in {@code conf/defaults.conf}).
 *
 * @param enabled write plots in train and evaluate
 * @param latentPoints rows sampled for the latent map (collected to the driver)
 * @param reconstructions examples in the reconstruction grid (the first ones of the sample)
 * @param priorSamples images decoded from z ~ N(0, I)
 * @param gridColumns images per row of the image grids
 * @param imageShape [height, width] of an example as an image, or empty for a square feature count
 * @param imageScale screen pixels per feature pixel
 * @param seed seeds the row sample and the prior samples
 */
public record PlotSettings(boolean enabled, int latentPoints, int reconstructions, int priorSamples,
    int gridColumns, int[] imageShape, int imageScale, long seed) {

  /** Reads {@code plot.*}. */
  public static PlotSettings from(Settings settings) {
    int[] shape = settings.positiveIntList("plot.image-shape", true);
    if (shape.length != 0 && shape.length != 2) {
      throw new InvalidSettingException("Cannot set plot.image-shape to " + Arrays.toString(shape)
          + ": the value must be [] or [height, width]");
    }
    return new PlotSettings(settings.bool("plot.enabled"), settings.positiveInt("plot.latent-points"),
        settings.nonNegativeInt("plot.reconstructions"), settings.nonNegativeInt("plot.prior-samples"),
        settings.positiveInt("plot.grid-columns"), shape, settings.positiveInt("plot.image-scale"),
        settings.anyLong("plot.seed"));
  }

  /**
   * The image shape of an example with {@code featureCount} features: {@code plot.image-shape} when set, else
   * the square root when the count is a square; null when the data is not image-shaped.
   *
   * @throws InvalidSettingException when {@code plot.image-shape} does not hold {@code featureCount} pixels
   */
  public ImageShape imageShape(int featureCount) {
    if (imageShape.length == 2) {
      ImageShape shape = new ImageShape(imageShape[0], imageShape[1]);
      if (shape.pixels() != featureCount) {
        throw new InvalidSettingException(String.format("Cannot use plot.image-shape %s for %d features: "
            + "%d x %d is %d pixels", Arrays.toString(imageShape), featureCount, shape.height(), shape.width(),
            shape.pixels()));
      }
      return shape;
    }
    return ImageShape.square(featureCount);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PlotSettings other && enabled == other.enabled && latentPoints == other.latentPoints
        && reconstructions == other.reconstructions && priorSamples == other.priorSamples
        && gridColumns == other.gridColumns && Arrays.equals(imageShape, other.imageShape)
        && imageScale == other.imageScale && seed == other.seed;
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(imageShape) + Long.hashCode(seed) + latentPoints;
  }

  @Override
  public String toString() {
    return "PlotSettings[enabled=" + enabled + ", latentPoints=" + latentPoints + ", reconstructions="
        + reconstructions + ", priorSamples=" + priorSamples + ", gridColumns=" + gridColumns + ", imageShape="
        + Arrays.toString(imageShape) + ", imageScale=" + imageScale + ", seed=" + seed + "]";
  }
}
