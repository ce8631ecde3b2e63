package dev.sparkvae.plot;

import dev.sparkvae.config.ImageShape;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.VaeMaths;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.knowm.xchart.XYChart;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What a trained VAE learned, as PNG files, computed on one machine from a bounded {@link PlotSample}:
 *
 * <ul>
 *   <li>{@value #TRAINING_CURVE}: train and held-out negative ELBO per epoch (when the model has metrics);
 *   <li>{@value #LATENT_MAP}: the mean of q(z|x) of every sampled row in the plane ({@link LatentProjection}),
 *       coloured by label;
 *   <li>{@value #RECONSTRUCTIONS}: the first sampled rows above their reconstructions (the mean of p(x|z) at z = the
 *       mean of q(z|x)), for image-shaped data;
 *   <li>{@value #PRIOR_SAMPLES}: the mean of p(x|z) for z drawn from the prior N(0, I), seeded, for image-shaped
 *       data.
 * </ul>
 *
 * Image-shaped: {@link PlotSettings#imageShape(int)} is not null. The same model, sample and settings give the
 * same bytes.
 */
public final class ModelPlots {
  public static final String TRAINING_CURVE = "training-curve.png";
  public static final String LATENT_MAP = "latent-map.png";
  public static final String RECONSTRUCTIONS = "reconstructions.png";
  public static final String PRIOR_SAMPLES = "prior-samples.png";

  private static final int ENCODE_BATCH = 512;

  private ModelPlots() {}

  /** The plots that apply to this model and sample, in the order listed above. */
  public static List<Plot> render(VaeMaths model, List<EpochMetrics> metrics, PlotSample sample,
      PlotSettings settings) {
    ImageShape shape = settings.imageShape(model.featureCount());
    List<Plot> plots = new ArrayList<>();
    if (!metrics.isEmpty()) {
      plots.add(Png.of(TRAINING_CURVE, Charts.trainingCurve(metrics), metrics.size()));
    }
    if (sample.size() > 0) {
      float[][] zMean = encode(model, sample.features());
      XYChart map = Charts.latentMap(LatentProjection.of(zMean), sample.labels());
      plots.add(Png.of(LATENT_MAP, map, Charts.points(map)));
    }
    int shown = Math.min(settings.reconstructions(), sample.size());
    if (shape != null && shown > 0) {
      plots.add(reconstructions(model, Arrays.copyOf(sample.features(), shown), shape, settings));
    }
    if (shape != null && settings.priorSamples() > 0) {
      List<float[]> images = rows(decode(model, prior(settings.priorSamples(), model.latentSize(), settings.seed())));
      String caption = String.format("%d decoded samples of z ~ N(0, I)", images.size());
      plots.add(Png.of(PRIOR_SAMPLES, ImageGrid.render(caption, images, shape, settings.gridColumns(),
          settings.imageScale(), 0), images.size()));
    }
    return plots;
  }

  /** Writes {@code plots} into {@code dir} (created when missing); existing files are not replaced. */
  public static void write(List<Plot> plots, FileSystem fs, Path dir) throws IOException {
    for (Plot plot : plots) {
      try (OutputStream out = fs.create(new Path(dir, plot.name()), false)) {
        out.write(plot.png());
      }
    }
  }

  private static Plot reconstructions(VaeMaths model, float[][] originals, ImageShape shape, PlotSettings settings) {
    List<float[]> reconstructed = rows(decode(model, Nd4j.create(encode(model, originals))));
    int columns = settings.gridColumns();
    List<float[]> interleaved = new ArrayList<>();
    for (int start = 0; start < originals.length; start += columns) {
      int end = Math.min(originals.length, start + columns);
      interleaved.addAll(Arrays.asList(originals).subList(start, end));
      for (int i = end - start; i < columns; i++) {
        interleaved.add(null);
      }
      interleaved.addAll(reconstructed.subList(start, end));
    }
    String caption = String.format("%d rows above their reconstructions", originals.length);
    return Png.of(RECONSTRUCTIONS, ImageGrid.render(caption, interleaved, shape, columns, settings.imageScale(), 2),
        originals.length);
  }

  /** The mean of q(z|x) of every row, encoded in batches. */
  private static float[][] encode(VaeMaths model, float[][] features) {
    float[][] zMean = new float[features.length][];
    for (int start = 0; start < features.length; start += ENCODE_BATCH) {
      int end = Math.min(features.length, start + ENCODE_BATCH);
      INDArray mean = model.encode(Nd4j.create(Arrays.copyOfRange(features, start, end)))[0];
      for (int r = start; r < end; r++) {
        zMean[r] = mean.getRow(r - start).dup().toFloatVector();
      }
    }
    return zMean;
  }

  /** The mean of p(x|z) for latent rows {@code z}. */
  private static INDArray decode(VaeMaths model, INDArray z) {
    return model.distribution().generateAtMean(model.decodePreOutput(z));
  }

  /** {@code count} standard normal latent rows from a generator seeded by {@code seed}. */
  private static INDArray prior(int count, int latent, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] z = new float[count * latent];
    for (int i = 0; i < z.length; i++) {
      z[i] = (float) random.nextGaussian();
    }
    return Nd4j.create(z, new long[] {count, latent}, 'c');
  }

  private static List<float[]> rows(INDArray matrix) {
    List<float[]> rows = new ArrayList<>();
    for (long r = 0; r < matrix.size(0); r++) {
      rows.add(matrix.getRow(r).dup().toFloatVector());
    }
    return rows;
  }
}
