package dev.sparkvae.plot;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.internal.chartpart.Chart;

/** PNG encoding, with AWT in headless mode: plots are drawn on servers and CI machines without a display. */
final class Png {
  static {
    useHeadlessAwt();
  }

  private Png() {}

  /** Asks AWT for headless mode unless the JVM was told otherwise; must run before AWT's graphics start. */
  static void useHeadlessAwt() {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  static Plot of(String name, Chart<?, ?> chart, int items) {
    return of(name, BitmapEncoder.getBufferedImage(chart), items);
  }

  static Plot of(String name, BufferedImage image, int items) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot encode " + name + " as PNG", e);
    }
    return new Plot(name, bytes.toByteArray(), image.getWidth(), image.getHeight(), items);
  }
}
