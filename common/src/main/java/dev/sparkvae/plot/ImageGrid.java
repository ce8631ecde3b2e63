package dev.sparkvae.plot;

import dev.sparkvae.config.ImageShape;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Examples drawn as grey-scale images in a grid, under a one-line caption.
 *
 * <p>Layout, in pixels: a {@value #CAPTION}-high caption band; cells of {@code width·scale × height·scale}
 * separated and framed by {@value #GAP}; an extra {@value #GROUP_GAP} between groups of {@code rowsPerGroup} grid
 * rows when it is positive (so an original and its reconstruction stay together). Values map to grey linearly:
 * [0, 1] to black–white when every value lies in [0, 1] (probabilities, pixels), else the smallest to the largest
 * value of the grid.
 */
public final class ImageGrid {
  static {
    Png.useHeadlessAwt();
  }

  public static final int CAPTION = 24;
  public static final int GAP = 2;
  public static final int GROUP_GAP = 6;
  private static final Color BACKGROUND = new Color(230, 230, 230);

  private ImageGrid() {}

  /** The pixel size [width, height] of a grid of {@code count} images. */
  public static int[] size(int count, ImageShape shape, int columns, int scale, int rowsPerGroup) {
    int gridRows = Math.max(1, (count + columns - 1) / columns);
    int width = GAP + columns * (shape.width() * scale + GAP);
    int height = CAPTION + GAP + gridRows * (shape.height() * scale + GAP) + groupGap(gridRows - 1, rowsPerGroup);
    return new int[] {width, height};
  }

  /** The extra space above grid row {@code row}: the group gaps before it. */
  private static int groupGap(int row, int rowsPerGroup) {
    return rowsPerGroup > 0 ? row / rowsPerGroup * GROUP_GAP : 0;
  }

  /**
   * Draws {@code images} (each {@code shape.pixels()} values, row-major) left to right, top to bottom; a null
   * element leaves its cell empty.
   *
   * @param rowsPerGroup grid rows kept together before a wider gap (0 for a plain grid)
   */
  public static BufferedImage render(String caption, List<float[]> images, ImageShape shape, int columns, int scale,
      int rowsPerGroup) {
    int[] size = size(images.size(), shape, columns, scale, rowsPerGroup);
    BufferedImage canvas = new BufferedImage(size[0], size[1], BufferedImage.TYPE_INT_RGB);
    Graphics2D g = canvas.createGraphics();
    try {
      g.setColor(BACKGROUND);
      g.fillRect(0, 0, size[0], size[1]);
      g.setColor(Color.BLACK);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
      g.drawString(caption, GAP + 2, CAPTION - 7);
    } finally {
      g.dispose();
    }
    float[] range = range(images);
    int cellWidth = shape.width() * scale;
    int cellHeight = shape.height() * scale;
    for (int i = 0; i < images.size(); i++) {
      int gridRow = i / columns;
      int left = GAP + (i % columns) * (cellWidth + GAP);
      int top = CAPTION + GAP + gridRow * (cellHeight + GAP) + groupGap(gridRow, rowsPerGroup);
      float[] image = images.get(i);
      if (image == null) {
        continue;
      }
      for (int r = 0; r < cellHeight; r++) {
        for (int c = 0; c < cellWidth; c++) {
          float value = image[(r / scale) * shape.width() + c / scale];
          int grey = Math.round(255 * Math.max(0, Math.min(1, (value - range[0]) / (range[1] - range[0]))));
          canvas.setRGB(left + c, top + r, grey << 16 | grey << 8 | grey);
        }
      }
    }
    return canvas;
  }

  /** [low, high] of the grey scale: [0, 1] when every value lies there, else the values' extent. */
  private static float[] range(List<float[]> images) {
    float low = Float.POSITIVE_INFINITY;
    float high = Float.NEGATIVE_INFINITY;
    for (float[] image : images) {
      for (float v : image == null ? new float[0] : image) {
        low = Math.min(low, v);
        high = Math.max(high, v);
      }
    }
    if (!(low < high) || low >= 0 && high <= 1) {
      return new float[] {0, 1};
    }
    return new float[] {low, high};
  }
}
