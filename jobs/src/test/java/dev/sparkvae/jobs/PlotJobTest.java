package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.cli.Cli;
import dev.sparkvae.config.PlotSettings;
import dev.sparkvae.data.BadRowException;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.plot.Plot;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotJobTest {
  @TempDir static Path dir;
  private static String model;

  @BeforeAll
  static void train() throws Exception {
    model = dir.resolve("model").toString();
    new TrainJob(TestSpark.session(), TestSpark.smallRecipe("train.epochs=2"), new TrainJob.Options()
        .input(TestSpark.SAMPLE.resolve("train").toString()).test(TestSpark.SAMPLE.resolve("test").toString())
        .model(model)).run();
  }

  /** The size of the PNG at {@code file}, checked not to be blank (luminance variance). */
  static int[] checkPng(Path file) throws Exception {
    Plot plot = new Plot(file.getFileName().toString(), Files.readAllBytes(file), 0, 0, 0);
    assertThat(plot.luminanceVariance()).as("pixel variance of %s", file).isGreaterThan(100);
    return new int[] {plot.image().getWidth(), plot.image().getHeight()};
  }

  @Test
  void trainWritesThePlotsOfTheHeldOutRowsIntoTheModelDirectory() throws Exception {
    Path plots = dir.resolve("model/plots");
    assertThat(checkPng(plots.resolve("training-curve.png"))).containsExactly(800, 500);
    assertThat(checkPng(plots.resolve("latent-map.png"))).containsExactly(800, 720);
    // 28x28 Fashion-MNIST images at scale 2 in 8 columns; 16 originals over their reconstructions in 4 grid rows.
    assertThat(checkPng(plots.resolve("reconstructions.png"))).containsExactly(2 + 8 * 58, 24 + 2 + 4 * 58 + 6);
    assertThat(checkPng(plots.resolve("prior-samples.png"))).containsExactly(2 + 8 * 58, 24 + 2 + 4 * 58);
    assertThat(Files.list(dir).filter(p -> p.getFileName().toString().startsWith(".")).count())
        .as("no staging directory left beside the model").isZero();
  }

  @Test
  void plotJobDrawsABoundedSampleIntoModelPlotsInputNameAndRefusesToOverwrite() throws Exception {
    String input = TestSpark.SAMPLE.resolve("test").toString();
    PlotSettings settings = PlotSettings.from(TestSpark.settings("plot.latent-points=120"));
    PlotJob.Result result = new PlotJob(TestSpark.session(), new PlotJob.Options().plot(settings).input(input)
        .model(model)).run();

    assertThat(result.output()).isEqualTo(model + "/plots/test");
    assertThat(result.sampledRows()).as("latent-points bounds the sample").isEqualTo(120);
    assertThat(result.plots()).extracting(Plot::name).containsExactly("training-curve.png", "latent-map.png",
        "reconstructions.png", "prior-samples.png");
    assertThat(result.plots().get(1).items()).as("one point per sampled row").isEqualTo(120);
    for (Plot plot : result.plots()) {
      Path file = dir.resolve("model/plots/test").resolve(plot.name());
      assertThat(checkPng(file)).containsExactly(plot.width(), plot.height());
      assertThat(Files.readAllBytes(file)).isEqualTo(plot.png());
    }

    assertThatThrownBy(() -> new PlotJob(TestSpark.session(), new PlotJob.Options().plot(settings).input(input)
        .model(model)).run())
        .hasMessage("Cannot write " + model + "/plots/test: it already exists (pass --overwrite to replace it)");

    PlotJob.Result again = new PlotJob(TestSpark.session(), new PlotJob.Options().plot(settings).input(input)
        .model(model).output(dir.resolve("again").toString())).run();
    for (int i = 0; i < again.plots().size(); i++) {
      assertThat(again.plots().get(i).png()).as("same model, data and seed: same %s", again.plots().get(i).name())
          .isEqualTo(result.plots().get(i).png());
    }
  }

  @Test
  void aBadRowInTheSampleFailsTheJobNamingItsFileIdColumnAndRule() throws Exception {
    String input = dir.resolve("bad-input").toString();
    Float[] pixels = new Float[784];
    Arrays.fill(pixels, 0.5f);
    pixels[5] = 1.5f;
    StructType schema = new StructType().add("id", DataTypes.LongType).add("label", DataTypes.IntegerType)
        .add("features", DataTypes.createArrayType(DataTypes.FloatType));
    TestSpark.session().createDataFrame(List.of(RowFactory.create(77L, 1, pixels)), schema).coalesce(1).write()
        .parquet(input);
    Path file;
    try (Stream<Path> files = Files.list(Path.of(input))) {
      file = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    String output = dir.resolve("bad-plots").toString();
    assertThatThrownBy(() -> new PlotJob(TestSpark.session(), new PlotJob.Options().input(input).model(model)
        .output(output)).run())
        .isInstanceOf(BadRowException.class)
        .hasMessage("Bad row in file://" + file + ": id=77, column features: value 1.5 at index 5 is outside [0, 1], "
            + "the support of the Bernoulli distribution");
    assertThat(Path.of(output)).doesNotExist();
  }

  @Test
  void aModelWithoutMetricsAndDataWithoutLabelsStillGetsALatentMap() throws Exception {
    String untrained = dir.resolve("untrained").toString();
    TestModels.write(untrained, 784, 500);
    String input = dir.resolve("unlabelled").toString();
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString()).drop("label").limit(50)
        .write().parquet(input);
    PlotJob.Result result = new PlotJob(TestSpark.session(), new PlotJob.Options().input(input).model(untrained))
        .run();
    assertThat(result.plots()).extracting(Plot::name).containsExactly("latent-map.png", "reconstructions.png",
        "prior-samples.png");
    assertThat(result.sampledRows()).isEqualTo(50);
  }

  @Test
  void evaluateWritesItsPlotsWhereToldAndRefusesAnExistingDirectoryBeforeAnyWork() throws Exception {
    String input = TestSpark.SAMPLE.resolve("test").toString();
    String plots = dir.resolve("evaluate-plots").toString();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    String[] args = Stream.concat(Stream.of(TestSpark.LOCAL_CLUSTER), Stream.of("evaluate", "--input", input,
        "--model", model, "--plots", plots, "--samples", "2", "--set", "plot.latent-points=64"))
        .toArray(String[]::new);
    assertThat(Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args)).as(err.toString()).isZero();
    assertThat(JsonFiles.MAPPER.readTree(out.toString()).get("rows").asLong()).as("stdout is the JSON summary")
        .isEqualTo(500);
    assertThat(Files.list(dir.resolve("evaluate-plots")).map(p -> p.getFileName().toString())
        .filter(name -> !name.endsWith(".crc")).sorted())
        .containsExactly("latent-map.png", "prior-samples.png", "reconstructions.png", "training-curve.png");

    StringWriter again = new StringWriter();
    assertThat(Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(again, true), args)).isEqualTo(1);
    assertThat(again.toString().trim()).isEqualTo("sparkvae evaluate failed: Cannot write " + plots
        + ": it already exists (pass --overwrite to replace it)");
  }

  @Test
  void evaluateJobDrawsThePlotsForALibraryUserToo() throws Exception {
    String input = TestSpark.SAMPLE.resolve("test").toString();
    String plots = dir.resolve("library-plots").toString();
    Evaluation evaluation = new EvaluateJob(TestSpark.session(), new EvaluateJob.Options()
        .settings(TestSpark.settings("plot.latent-points=64")).input(input).model(model).plots(plots).samples(2))
        .run();
    assertThat(evaluation.plots()).isEqualTo(plots);
    assertThat(evaluation.rows()).isEqualTo(500);
    for (String name : List.of("training-curve.png", "latent-map.png", "reconstructions.png", "prior-samples.png")) {
      checkPng(Path.of(plots, name));
    }
  }

  @Test
  void anImageShapeThatDoesNotFitFailsBeforeAnyWork() {
    String input = TestSpark.SAMPLE.resolve("test").toString();
    String output = dir.resolve("wrong-shape").toString();
    assertThatThrownBy(() -> new PlotJob(TestSpark.session(), new PlotJob.Options()
        .settings(TestSpark.settings("plot.image-shape=[28, 29]")).input(input).model(model).output(output)).run())
        .hasMessage("Cannot use plot.image-shape [28, 29] for 784 features: 28 x 29 is 812 pixels");
    assertThat(dir.resolve("wrong-shape")).doesNotExist();
  }
}
