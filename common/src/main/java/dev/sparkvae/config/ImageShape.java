package dev.sparkvae.config;

/**
 * The shape of one example seen as a grey-scale image: feature {@code r * width + c} is the pixel in row
 * {@code r}, column {@code c} (row-major, as IDX files and most image datasets store pixels).
 */
public record ImageShape(int height, int width) {
  public ImageShape {
    if (height <= 0 || width <= 0) {
      throw new IllegalArgumentException("Cannot make an image of " + height + " x " + width + " pixels");
    }
  }

  /** The square shape of {@code featureCount} pixels, or null when the count is not a square. */
  public static ImageShape square(int featureCount) {
    int side = (int) Math.round(Math.sqrt(featureCount));
    return featureCount > 0 && side * side == featureCount ? new ImageShape(side, side) : null;
  }

  public int pixels() {
    return height * width;
  }
}
