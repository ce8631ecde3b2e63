package dev.sparkvae.plot;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/**
 * One rendered plot.
 *
 * @param name file name, e.g. {@code latent-map.png}
 * @param png the PNG bytes
 * @param width width in pixels
 * @param height height in pixels
 * @param items what it shows: points of the latent map, epochs of the training curve, images of a grid
 */
public record Plot(String name, byte[] png, int width, int height, int items) {

  /** The PNG decoded. */
  public BufferedImage image() {
    try {
      BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
      if (image == null) {
        throw new IOException("not a PNG");
      }
      return image;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot decode " + name + ": " + e.getMessage(), e);
    }
  }

  /**
   * The variance of the pixels' luminance (0–255 scale): 0 for an image of one flat colour, in the thousands for a
   * chart or an image grid. A cheap check that something was drawn.
   */
  public double luminanceVariance() {
    BufferedImage image = image();
    double sum = 0;
    double squares = 0;
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y);
        double luminance = 0.299 * (rgb >> 16 & 0xff) + 0.587 * (rgb >> 8 & 0xff) + 0.114 * (rgb & 0xff);
        sum += luminance;
        squares += luminance * luminance;
      }
    }
    double pixels = (double) image.getWidth() * image.getHeight();
    return squares / pixels - (sum / pixels) * (sum / pixels);
  }
}
