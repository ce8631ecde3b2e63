package dev.sparkvae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.jobs.ImportJob;
import dev.sparkvae.jobs.TestModels;
import dev.sparkvae.jobs.TestSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line contract: exit codes and the one-line messages users see. */
class CliTest {
  @TempDir Path dir;

  private String out;
  private String err;

  private int run(String... args) {
    StringWriter outText = new StringWriter();
    StringWriter errText = new StringWriter();
    String[] withCluster = java.util.stream.Stream.concat(java.util.Arrays.stream(TestSpark.LOCAL_CLUSTER),
        java.util.Arrays.stream(args)).toArray(String[]::new);
    int code = Cli.run(new PrintWriter(outText, true), new PrintWriter(errText, true),
        args.length > 0 && args[0].startsWith("--cluster") ? args : withCluster);
    out = outText.toString();
    err = errText.toString();
    return code;
  }

  private String sample(String split) {
    return TestSpark.SAMPLE.resolve(split).toString();
  }

  @Test
  void helpListsTheJobs() {
    assertThat(run("--help")).isZero();
    assertThat(out).contains("Usage: sparkvae", "import", "train");
    assertThat(run("train", "--help")).isZero();
    assertThat(out).contains("--input=DIR", "--test=DIR", "--model=DIR", "--config=FILE", "--set=KEY=VALUE",
        "--epochs=N");
  }

  @Test
  void missingRequiredOptionIsAUsageError() {
    assertThat(run("train", "--input", "x")).isEqualTo(2);
    assertThat(err).contains("Missing required option: '--model=DIR'");
  }

  @Test
  void scoringJobsTakeABadRowModeAndPrintTheCounts() throws Exception {
    String model = dir.resolve("m").toString();
    TestModels.write(model, 784, 500);
    String input = dir.resolve("in").toString();
    var sample = TestSpark.session().read().parquet(sample("test"));
    Float[] nan = new Float[784];
    java.util.Arrays.fill(nan, Float.NaN);
    sample.union(TestSpark.session().createDataFrame(List.of(RowFactory.create(7000L, 1, nan)), sample.schema()))
        .write().parquet(input);

    assertThat(run("encode", "--input", input, "--model", model, "--output", dir.resolve("e").toString(),
        "--on-bad-rows", "maybe")).isEqualTo(2);
    assertThat(err).contains("Invalid value for option '--on-bad-rows': expected one of [FAIL, SKIP, QUARANTINE] "
        + "(case-insensitive) but was 'maybe'");
    assertThat(run("encode", "--input", input, "--model", model, "--output", dir.resolve("e").toString(),
        "--on-bad-rows", "quarantine")).isZero();
    assertThat(out).isEqualTo(String.format("Encoded 500 rows to %s (z_mean and z_log_var of size 8)%n"
        + "501 rows read, 500 written, 0 skipped, 1 quarantined%n", dir.resolve("e")));
  }

  @Test
  void onlyReconstructTakesWithAttributionAndItRefusesMoreThanEveryFeature() throws Exception {
    String model = dir.resolve("m").toString();
    TestModels.write(model, 784, 500);
    String output = dir.resolve("r").toString();
    assertThat(run("reconstruct", "--input", sample("test"), "--model", model, "--output", output,
        "--with-attribution", "785")).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae reconstruct failed: Cannot use --with-attribution 785: the value must "
        + "be from 0 (none) to the model's feature count, 784");
    assertThat(dir.resolve("r")).doesNotExist();
    assertThat(run("encode", "--input", sample("test"), "--model", model, "--output", output,
        "--with-attribution", "3")).isEqualTo(2);
    assertThat(err).contains("Unknown options: '--with-attribution', '3'");
  }

  @Test
  void unknownSettingFailsBeforeAnyWork() {
    String model = dir.resolve("m").toString();
    assertThat(run("train", "--input", sample("train"), "--model", model, "--set", "vae.latent=3")).isEqualTo(1);
    assertThat(err).startsWith("sparkvae train failed: Unknown setting vae.latent (from --set vae.latent=3: 1)");
    assertThat(dir.resolve("m")).doesNotExist();
  }

  @Test
  void badValueNamesKeyValueAndRule() {
    String model = dir.resolve("m").toString();
    assertThat(run("train", "--input", sample("train"), "--model", model, "--epochs", "0")).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae train failed: Cannot set train.epochs to 0 (from --set "
        + "train.epochs=0: 1): the value must be a positive integer");
  }

  @Test
  void missingInputIsNamed() {
    String input = dir.resolve("nothing").toString();
    assertThat(run("train", "--input", input, "--model", dir.resolve("m").toString())).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae train failed: Cannot read input " + input + ": it does not exist");
  }

  @Test
  void unknownClusterIsNamed() {
    assertThat(run("--cluster", "mars", "--conf-dir", dir.toString(), "train", "--input", sample("train"),
        "--model", dir.resolve("m").toString())).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae train failed: Unknown cluster mars: " + dir.resolve("clusters")
        .resolve("mars.conf") + " does not exist");
  }

  @Test
  void aBadRowNamesFileIdColumnAndRuleAndLeavesNoModel() throws Exception {
    String input = dir.resolve("bad").toString();
    List<Row> rows = new java.util.ArrayList<>();
    for (long id = 0; id < 40; id++) {
      Float[] features = new Float[784];
      java.util.Arrays.fill(features, 0.5f);
      if (id == 17) {
        features[3] = Float.NaN;
      }
      rows.add(RowFactory.create(id, 1, features));
    }
    TestSpark.session().createDataFrame(rows, ImportJob.SCHEMA).coalesce(1).write().parquet(input);
    String file = Files.list(dir.resolve("bad")).filter(p -> p.toString().endsWith(".parquet")).findFirst()
        .orElseThrow().toUri().toString();

    String model = dir.resolve("m").toString();
    assertThat(run("train", "--input", input, "--test", sample("test"), "--model", model, "--epochs", "1",
        "--set", "vae.encoder-sizes=[16]", "--set", "vae.decoder-sizes=[16]")).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae train failed: Bad row in " + file
        + ": id=17, column features: value NaN at index 3 is not a finite number");
    assertThat(dir.resolve("m")).doesNotExist();
  }

  @Test
  void trainsAndSaysWhereTheModelIs() {
    String model = dir.resolve("m").toString();
    assertThat(run("train", "--input", sample("train"), "--test", sample("test"), "--model", model, "--epochs", "1",
        "--set", "vae.encoder-sizes=[32]", "--set", "vae.decoder-sizes=[32]")).as(err).isZero();
    assertThat(out).contains("Trained 1 epochs on 2000 examples; held-out negative ELBO ",
        "Model:   " + model + "/model.zip", "Metrics: " + model + "/metrics.json");
    assertThat(dir.resolve("m/model.zip")).exists();
    assertThat(run("train", "--input", sample("train"), "--model", model, "--epochs", "1")).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae train failed: Cannot write " + model
        + ": it already exists (pass --overwrite to replace it)");
  }
}
