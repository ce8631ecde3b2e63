package dev.sparkvae.plot;

/**
 * One rendered plot.
 *
 * @param name file name, e.g. {@code latent-map.png}
 * @param png the PNG bytes
 * @param width width in pixels
 * @param height height in pixels
 * @param items what it shows: points of the latent map, epochs of the training curve, images of a grid
 */
public record Plot(String name, byte[] png, int width, int height, int items) {}
