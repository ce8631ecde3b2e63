package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sparkvae.cli.Failures;
import dev.sparkvae.data.BadRowPolicy;
import dev.sparkvae.data.FeatureSchema;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generic input: a CSV file whose features are a list of numeric columns, real-valued (Gaussian p(x|z)). */
class CsvColumnsTest {
  @TempDir Path dir;

  @Test
  void trainsAndEncodesFromCsvFeatureColumns() throws Exception {
    Path csv = dir.resolve("data.csv");
    Random random = new Random(3);
    List<String> lines = new ArrayList<>(List.of("row_id,f0,f1,f2,f3,kind"));
    for (int i = 0; i < 600; i++) {
      double a = random.nextGaussian();
      lines.add(String.format("%d,%.5f,%.5f,%.5f,%.5f,%s", 1000 + i, a, 2 * a + 0.1 * random.nextGaussian(),
          -a, random.nextGaussian() * 3, i % 2 == 0 ? "even" : "odd"));
    }
    Files.write(csv, lines);
    String[] recipe = {"data.format=csv", "data.id-column=row_id", "data.label-column=\"\"",
        "data.feature-columns=[f0,f1,f2,f3]", "vae.distribution=gaussian", "vae.encoder-sizes=[16]",
        "vae.decoder-sizes=[16]", "vae.latent-size=2", "train.epochs=3", "train.batch-size-per-worker=32",
        "train.workers=2"};
    String model = dir.resolve("model").toString();

    TrainJob.Result trained = new TrainJob(TestSpark.session(), TestSpark.settings(recipe),
        new TrainJob.Options().input(csv.toString()).model(model)).run();

    assertThat(trained.trainExamples() + trained.testExamples()).isEqualTo(600);
    assertThat(trained.artifact().info().featureSchema().featureColumns()).containsExactly("f0", "f1", "f2", "f3");
    assertThat(trained.artifact().info().featureSchema().idColumn()).isEqualTo("row_id");
    assertThat(trained.metrics().get(2).testNegElbo()).isLessThan(trained.metrics().get(0).testNegElbo());

    String output = dir.resolve("encoded").toString();
    EncodeJob.Result encoded = new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(csv.toString())
        .model(model).output(output, "kind").batchSize(100).format("csv")).run();
    assertThat(encoded.rows()).isEqualTo(600);
    List<Row> rows = TestSpark.session().read().parquet(output).orderBy("id").collectAsList();
    assertThat(rows.get(0).getInt(0)).as("ids come from row_id, in its type (int)").isEqualTo(1000);
    assertThat(rows.get(1).getString(3)).isEqualTo("odd");
    assertThat(rows.get(0).getList(1)).hasSize(2);
  }

  @Test
  void csvFieldsThatAreNotNumbersAreNamedWithColumnAndValue() throws Exception {
    Path csv = dir.resolve("bad.csv");
    Files.write(csv, List.of("row_id,f0,f1,f2,kind", "1,0.1,0.2,0.3,a", "2,abc,0.2,0.3,b", "3,0.1,0.2,,c",
        "4,0.1,1.5,0.3,d", "5,0.4,0.5,0.6,e"));
    String model = dir.resolve("model").toString();
    TestModels.write(model, new FeatureSchema("row_id", "", "", List.of("f0", "f1", "f2"), 3), 10);
    String output = dir.resolve("encoded").toString();

    assertThatThrownBy(() -> new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(csv.toString())
        .model(model).output(output).batchSize(100).format("csv")).run())
        .satisfies(e -> assertThat(Failures.reason(e))
            .isEqualTo("Bad row in file://" + csv + ": id=2, column f0: value 'abc' is not a number"));

    EncodeJob.Result encoded = new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(csv.toString())
        .model(model).output(output, "kind").batchSize(100).format("csv")
        .checks(new InputChecks().onBadRows(BadRowPolicy.QUARANTINE))).run();
    assertThat(encoded.counts().asMap()).containsEntry("read", 5L).containsEntry("written", 2L)
        .containsEntry("quarantined", 3L);
    assertThat(TestSpark.session().read().parquet(output + "/_quarantine").orderBy("id").collectAsList())
        .extracting(r -> r.get(0) + " " + r.getString(r.fieldIndex("kind")) + ": "
            + r.getString(r.fieldIndex("reason")))
        .containsExactly("2 b: column f0: value 'abc' is not a number", "3 c: column f2: the value is missing",
            "4 d: column f1: value 1.5 is outside [0, 1], the support of the Bernoulli distribution");
  }

  @Test
  void aModelWhoseFeatureColumnsTheInputLacksIsRefusedBeforeAnyWork() throws Exception {
    Path csv = dir.resolve("other.csv");
    Files.write(csv, List.of("row_id,f0,f1,g2", "1,0.1,0.2,0.3"));
    String model = dir.resolve("model").toString();
    TestModels.write(model, new FeatureSchema("row_id", "", "", List.of("f0", "f1", "f2"), 3), 10);

    assertThatThrownBy(() -> new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(csv.toString())
        .model(model).output(dir.resolve("encoded").toString()).batchSize(100).format("csv")).run())
        .hasMessage("Cannot read input " + csv + ": it has no column f2 (expected by the model in " + model
            + "); its columns are [row_id, f0, f1, g2]");
    assertThat(dir.resolve("encoded")).doesNotExist();
  }
}
