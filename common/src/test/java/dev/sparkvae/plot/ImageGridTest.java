package dev.sparkvae.plot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.config.ImageShape;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ImageGridTest {
  private static float[] filled(int pixels, float value) {
    float[] image = new float[pixels];
    Arrays.fill(image, value);
    return image;
  }

  @Test
  void cellsSitWhereTheLayoutSaysWithValuesAsGrey() {
    ImageShape shape = new ImageShape(3, 2);
    BufferedImage grid = ImageGrid.render("x", Arrays.asList(filled(6, 1), filled(6, 0), null, filled(6, 0.5f)),
        shape, 3, 2, 0);
    // 3 columns of 2x2-scaled 2-pixel-wide cells: 2 + 3 * (4 + 2); 2 rows of 6-pixel-high cells under the caption.
    assertThat(grid.getWidth()).isEqualTo(20);
    assertThat(grid.getHeight()).isEqualTo(24 + 2 + 2 * (6 + 2));
    assertThat(grid.getRGB(2, 26) & 0xffffff).as("image 0: white").isEqualTo(0xffffff);
    assertThat(grid.getRGB(2 + 6 + 3, 26 + 5) & 0xffffff).as("image 1: black").isZero();
    assertThat(grid.getRGB(2 + 12, 26) & 0xffffff).as("null: background").isEqualTo(0xe6e6e6);
    assertThat(grid.getRGB(2, 26 + 8) & 0xff).as("image 3 (second row): mid grey").isEqualTo(128);
  }

  @Test
  void valuesOutsideZeroToOneAreScaledToTheirRange() {
    BufferedImage grid = ImageGrid.render("x", List.of(new float[] {-3, 5}), new ImageShape(1, 2), 1, 1, 0);
    assertThat(grid.getRGB(2, 26) & 0xff).isZero();
    assertThat(grid.getRGB(3, 26) & 0xff).isEqualTo(255);
  }

  @Test
  void groupsOfRowsGetAWiderGap() {
    int[] size = ImageGrid.size(16, new ImageShape(28, 28), 8, 2, 2);
    assertThat(size).containsExactly(2 + 8 * 58, 24 + 2 + 2 * 58 + 0);
    assertThat(ImageGrid.size(17, new ImageShape(28, 28), 8, 2, 2)[1]).isEqualTo(24 + 2 + 3 * 58 + 6);
  }
}
