package dev.sparkvae.plot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.model.EpochMetrics;
import dev.sparkvae.model.TestNets;
import dev.sparkvae.model.VaeMaths;
import dev.sparkvae.model.VaeNetworks;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ModelPlotsTest {
  private static final List<EpochMetrics> METRICS = List.of(new EpochMetrics(1, 30, 29, 1, 300),
      new EpochMetrics(2, 25, 24.5, 1, 300), new EpochMetrics(3, 22, Double.NaN, 1, 300));

  /** A VAE over {@code features} inputs (untrained: the plots do not depend on the quality). */
  private static VaeMaths model(int features) {
    VaeSpec spec = new VaeSpec(new int[] {16}, new int[] {16}, 4, "relu", "bernoulli");
    return VaeMaths.of(VaeNetworks.create(spec, TestNets.train(5), features));
  }

  private static PlotSample sample(int rows, int features, boolean labelled) {
    Random random = new Random(1);
    long[] ids = new long[rows];
    float[][] x = new float[rows][features];
    Integer[] labels = labelled ? new Integer[rows] : null;
    for (int r = 0; r < rows; r++) {
      ids[r] = r;
      for (int f = 0; f < features; f++) {
        x[r][f] = random.nextFloat() * (f % 3) / 2;
      }
      if (labelled) {
        labels[r] = r % 7 == 0 ? null : r % 4;
      }
    }
    return new PlotSample(ids, x, labels);
  }

  private static PlotSettings settings(String... overrides) {
    return PlotSettings.from(Settings.load(null, null, new ArrayList<>(List.of(overrides))));
  }

  /** Checks that {@code plot} holds a PNG of its recorded size that is not one flat colour. */
  private static void decodeAndCheck(Plot plot) {
    BufferedImage image = plot.image();
    assertThat(new int[] {image.getWidth(), image.getHeight()}).as(plot.name())
        .containsExactly(plot.width(), plot.height());
    assertThat(plot.luminanceVariance()).as("pixel variance of %s (not blank)", plot.name()).isGreaterThan(100);
  }

  @Test
  void aFlatImageHasNoVariance() {
    BufferedImage flat = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
    assertThat(Png.of("flat.png", flat, 0).luminanceVariance()).isZero();
  }

  @Test
  void imageShapedDataGetsAllFourPlotsOfTheExpectedSizes() {
    List<Plot> plots = ModelPlots.render(model(36), METRICS, sample(300, 36, true), settings());

    assertThat(plots).extracting(Plot::name).containsExactly("training-curve.png", "latent-map.png",
        "reconstructions.png", "prior-samples.png");
    for (Plot plot : plots) {
      decodeAndCheck(plot);
    }
    assertThat(plots.get(0).width()).isEqualTo(800);
    assertThat(plots.get(0).height()).isEqualTo(500);
    assertThat(plots.get(0).items()).as("epochs").isEqualTo(3);
    assertThat(plots.get(1).width()).isEqualTo(800);
    assertThat(plots.get(1).height()).isEqualTo(720);
    assertThat(plots.get(1).items()).as("one point per sampled row").isEqualTo(300);
    // 6x6 images at scale 2 in 8 columns: 2 + 8 * (12 + 2) wide; 16 originals and 16 reconstructions are 4 grid
    // rows of 12 + 2 under the 24-pixel caption, with one 6-pixel gap between the two pairs of rows.
    assertThat(plots.get(2).width()).isEqualTo(114);
    assertThat(plots.get(2).height()).isEqualTo(24 + 2 + 4 * 14 + 6);
    assertThat(plots.get(2).items()).isEqualTo(16);
    assertThat(plots.get(3).height()).as("32 samples: 4 plain grid rows").isEqualTo(24 + 2 + 4 * 14);
    assertThat(plots.get(3).items()).isEqualTo(32);
  }

  @Test
  void theSameModelSampleAndSeedGiveTheSameBytes() {
    VaeMaths model = model(36);
    List<Plot> first = ModelPlots.render(model, METRICS, sample(100, 36, true), settings());
    List<Plot> second = ModelPlots.render(model, METRICS, sample(100, 36, true), settings());
    List<Plot> otherSeed = ModelPlots.render(model, METRICS, sample(100, 36, true), settings("plot.seed=9"));
    for (int i = 0; i < first.size(); i++) {
      assertThat(second.get(i).png()).as(first.get(i).name()).isEqualTo(first.get(i).png());
    }
    assertThat(otherSeed.get(3).png()).as("other prior samples").isNotEqualTo(first.get(3).png());
  }

  @Test
  void dataThatIsNotImageShapedGetsNoImageGridsUnlessAShapeIsGiven() {
    List<Plot> plots = ModelPlots.render(model(20), List.of(), sample(50, 20, false), settings());
    assertThat(plots).extracting(Plot::name).containsExactly("latent-map.png");
    assertThat(plots.get(0).items()).isEqualTo(50);
    decodeAndCheck(plots.get(0));

    List<Plot> shaped = ModelPlots.render(model(20), List.of(), sample(5, 20, false),
        settings("plot.image-shape=[4, 5]", "plot.reconstructions=3", "plot.prior-samples=2", "plot.grid-columns=2"));
    assertThat(shaped).extracting(Plot::name).containsExactly("latent-map.png", "reconstructions.png",
        "prior-samples.png");
    // 3 originals in 2 columns: each pair of grid rows holds up to 2 originals over their reconstructions.
    assertThat(shaped.get(1).height()).isEqualTo(24 + 2 + 4 * (8 + 2) + 6);
    assertThat(shaped.get(1).width()).isEqualTo(2 + 2 * (10 + 2));
  }

  @Test
  void anImageShapeThatDoesNotHoldTheFeaturesIsRefused() {
    assertThatThrownBy(() -> ModelPlots.render(model(20), List.of(), sample(5, 20, false),
        settings("plot.image-shape=[4, 4]")))
        .hasMessage("Cannot use plot.image-shape [4, 4] for 20 features: 4 x 4 is 16 pixels");
    assertThatThrownBy(() -> settings("plot.image-shape=[2, 2, 5]"))
        .hasMessage("Cannot set plot.image-shape to [2, 2, 5]: the value must be [] or [height, width]");
    assertThatThrownBy(() -> settings("plot.enabled=maybe"))
        .hasMessage("Cannot set plot.enabled to \"maybe\" (from --set plot.enabled=maybe: 1): the value must be "
            + "true or false");
  }
}
