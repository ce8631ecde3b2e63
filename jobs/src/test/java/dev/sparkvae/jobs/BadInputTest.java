package dev.sparkvae.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.cli.Failures;
import dev.sparkvae.data.BadRowPolicy;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad rows and bad files in the scoring jobs: every mode, exact messages, counts that add up, nothing lost. */
class BadInputTest {
  private static final int GOOD_ROWS = 500;

  @TempDir Path dir;
  private String model;
  private String input;

  @BeforeEach
  void modelAndInputWithFourBadRows() throws Exception {
    model = dir.resolve("model").toString();
    TestModels.write(model, 784, 500);
    input = dir.resolve("input").toString();
    Dataset<Row> sample = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString());
    sample.repartition(2).write().parquet(input);
    List<Row> bad = List.of(
        RowFactory.create(9001L, 0, features(7, Float.NaN, 784)),
        RowFactory.create(null, 0, features(0, 0.5f, 784)),
        RowFactory.create(9003L, 0, features(0, 0.5f, 700)),
        RowFactory.create(9004L, 0, features(5, 1.5f, 784)));
    TestSpark.session().createDataFrame(bad, sample.schema()).coalesce(1).write().mode("append").parquet(input);
  }

  private static Float[] features(int index, float value, int count) {
    Float[] values = new Float[count];
    Arrays.fill(values, 0.25f);
    values[index] = value;
    return values;
  }

  private EncodeJob.Result encode(BadRowPolicy policy, boolean ignoreCorruptFiles) throws IOException {
    return new EncodeJob(TestSpark.session(), new EncodeJob.Options().input(input).model(model)
        .output(dir.resolve("out").toString(), "label").batchSize(64)
        .checks(new InputChecks().onBadRows(policy).ignoreCorruptFiles(ignoreCorruptFiles))).run();
  }

  private EvaluateJob.Options evaluate(BadRowPolicy policy) {
    return new EvaluateJob.Options().settings(TestSpark.settings("plot.enabled=false")).input(input).model(model)
        .samples(4).batchSize(64).checks(new InputChecks().onBadRows(policy));
  }

  private static final List<String> REASONS = List.of(
      "column features: value NaN at index 7 is not a finite number",
      "column id: the id is null",
      "column features: has 700 features, expected 784",
      "column features: value 1.5 at index 5 is outside [0, 1], the support of the Bernoulli distribution");

  @Test
  void skipLeavesBadRowsOutAndCountsThem() throws Exception {
    EncodeJob.Result result = encode(BadRowPolicy.SKIP, false);

    assertThat(result.counts().asMap()).as("read = written + skipped")
        .containsExactly(Map.entry("read", 504L), Map.entry("written", 500L), Map.entry("skipped", 4L),
            Map.entry("quarantined", 0L), Map.entry("duplicate_ids", 0L));
    Dataset<Row> out = TestSpark.session().read().parquet(dir.resolve("out").toString());
    assertThat(out.count()).isEqualTo(GOOD_ROWS);
    assertThat(out.where(col("id").geq(9000)).count()).as("no bad row written").isZero();
    assertThat(dir.resolve("out/_quarantine")).doesNotExist();
  }

  @Test
  void quarantineWritesEachBadRowWithItsReasonBesideTheOutput() throws Exception {
    EncodeJob.Result result = encode(BadRowPolicy.QUARANTINE, false);

    assertThat(result.counts().asMap()).as("read = written + quarantined")
        .containsExactly(Map.entry("read", 504L), Map.entry("written", 500L), Map.entry("skipped", 0L),
            Map.entry("quarantined", 4L), Map.entry("duplicate_ids", 0L));
    assertThat(TestSpark.session().read().parquet(dir.resolve("out").toString()).count())
        .as("the quarantine is not part of the output's rows").isEqualTo(GOOD_ROWS);
    List<Row> quarantined = TestSpark.session().read().parquet(dir.resolve("out/_quarantine").toString())
        .orderBy(col("id").asc_nulls_last()).collectAsList();
    assertThat(quarantined).extracting(r -> r.get(r.fieldIndex("id")))
        .containsExactly(9001L, 9003L, 9004L, null);
    assertThat(quarantined).extracting(r -> r.getString(r.fieldIndex("reason")))
        .containsExactly(REASONS.get(0), REASONS.get(2), REASONS.get(3), REASONS.get(1));
    assertThat(quarantined).extracting(r -> r.getString(r.fieldIndex("source_file")))
        .allSatisfy(file -> assertThat(file).startsWith("file:" + input.replaceFirst("^/", "///")));
    assertThat(quarantined.get(2).<Float>getList(quarantined.get(2).fieldIndex("features")).get(5))
        .as("the row as it was read").isEqualTo(1.5f);
  }

  @Test
  void reconstructQuarantinesTheSameRows() throws Exception {
    ReconstructJob.Result result = new ReconstructJob(TestSpark.session(), new ReconstructJob.Options().input(input)
        .model(model).output(dir.resolve("scores").toString()).samples(4).batchSize(64)
        .checks(new InputChecks().onBadRows(BadRowPolicy.QUARANTINE))).run();

    assertThat(result.counts().asMap()).containsExactly(Map.entry("read", 504L), Map.entry("written", 500L),
        Map.entry("skipped", 0L), Map.entry("quarantined", 4L), Map.entry("duplicate_ids", 0L));
    assertThat(TestSpark.session().read().parquet(dir.resolve("scores/_quarantine").toString())
        .select("reason").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrderElementsOf(REASONS);
  }

  @Test
  void duplicateIdsAreCountedAndKept() throws Exception {
    Dataset<Row> sample = TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString());
    sample.orderBy("id").limit(3).write().mode("append").parquet(input);

    EncodeJob.Result result = encode(BadRowPolicy.SKIP, false);

    assertThat(result.counts().duplicateIds()).isEqualTo(3);
    assertThat(result.counts().written()).as("duplicates are kept").isEqualTo(GOOD_ROWS + 3);
  }

  @Test
  void trainSkipsOrQuarantinesBadRowsInTheModelDirectory() throws Exception {
    String trained = dir.resolve("trained").toString();
    TrainJob.Result skipped = new TrainJob(TestSpark.session(), TestSpark.smallRecipe("train.epochs=1"),
        new TrainJob.Options().input(input).model(trained).checks(new InputChecks().onBadRows(BadRowPolicy.SKIP)))
        .run();
    assertThat(skipped.counts().asMap()).as("read = used + skipped")
        .containsExactly(Map.entry("read", 504L), Map.entry("written", 500L), Map.entry("skipped", 4L),
            Map.entry("quarantined", 0L), Map.entry("duplicate_ids", 0L));
    assertThat(skipped.trainExamples() + skipped.testExamples()).isEqualTo(GOOD_ROWS);

    TrainJob.Result quarantined = new TrainJob(TestSpark.session(), TestSpark.smallRecipe("train.epochs=1"),
        new TrainJob.Options().input(input).model(trained).overwrite(true)
            .checks(new InputChecks().onBadRows(BadRowPolicy.QUARANTINE))).run();
    assertThat(quarantined.counts().quarantined()).isEqualTo(4);
    assertThat(TestSpark.session().read().parquet(trained + "/_quarantine/input").select("reason")
        .as(org.apache.spark.sql.Encoders.STRING()).collectAsList()).containsExactlyInAnyOrderElementsOf(REASONS);
    assertThat(dir.resolve("trained/_SUCCESS")).exists();

    assertThatThrownBy(() -> new TrainJob(TestSpark.session(), TestSpark.smallRecipe("train.epochs=1"),
        new TrainJob.Options().input(input).model(dir.resolve("failed").toString())).run())
        .satisfies(e -> assertThat(Failures.reason(e)).startsWith("Bad row in file:").contains(": id=")
            .containsAnyOf(REASONS.toArray(String[]::new)));
    assertThat(dir.resolve("failed")).doesNotExist();
  }

  @Test
  void evaluateSkipsAndCountsButCannotQuarantine() throws Exception {
    ObjectNode summary = new EvaluateJob(TestSpark.session(), evaluate(BadRowPolicy.SKIP)).run().toJson();
    assertThat(summary.get("rows").asLong()).isEqualTo(GOOD_ROWS);
    assertThat(summary.get("rows_read").asLong()).isEqualTo(504);
    assertThat(summary.get("rows_skipped").asLong()).isEqualTo(4);

    assertThatThrownBy(() -> new EvaluateJob(TestSpark.session(), evaluate(BadRowPolicy.QUARANTINE)).run())
        .hasMessage("Cannot quarantine bad rows in evaluate: it writes no dataset; use --on-bad-rows skip (bad rows "
            + "are counted in the summary), or reconstruct with --on-bad-rows quarantine");
  }

  @Test
  void aTruncatedParquetFileIsNamedOrSkippedAndReported() throws Exception {
    Path victim = parquetFiles(dir.resolve("input")).get(0);
    long goodRows = GOOD_ROWS + 4 - TestSpark.session().read().parquet(victim.toString()).count();
    try (RandomAccessFile file = new RandomAccessFile(victim.toFile(), "rw")) {
      file.setLength(file.length() / 2);
    }
    Files.deleteIfExists(victim.resolveSibling("." + victim.getFileName() + ".crc"));
    String name = "file:" + victim;

    assertThatThrownBy(() -> encode(BadRowPolicy.SKIP, false))
        .hasMessageStartingWith("Cannot read input " + input + ": " + name + " is not a readable Parquet file (")
        .hasMessageEndingWith("); pass --ignore-corrupt-files to skip corrupt files");
    assertThat(dir.resolve("out")).doesNotExist();

    EncodeJob.Result result = encode(BadRowPolicy.SKIP, true);
    assertThat(result.corruptFiles()).containsOnlyKeys(name);
    assertThat(result.counts().read()).as("the rows of the other files").isEqualTo(goodRows);
    assertThat(result.counts().written() + result.counts().skipped()).isEqualTo(result.counts().read());
  }

  @Test
  void anInputWithoutDataOrRowsIsRefusedBeforeAnyWork() throws Exception {
    Path empty = Files.createDirectories(dir.resolve("empty"));
    Files.createFile(empty.resolve("_SUCCESS"));
    input = empty.toString();
    assertThatThrownBy(() -> encode(BadRowPolicy.FAIL, false))
        .hasMessage("Cannot read input " + input + ": it holds no data files");

    input = dir.resolve("no-rows").toString();
    TestSpark.session().read().parquet(TestSpark.SAMPLE.resolve("test").toString()).limit(0).write().parquet(input);
    assertThatThrownBy(() -> encode(BadRowPolicy.FAIL, false))
        .hasMessage("Cannot use input " + input + ": it has no rows");

    input = dir.resolve("missing").toString();
    assertThatThrownBy(() -> encode(BadRowPolicy.FAIL, false))
        .hasMessage("Cannot read input " + input + ": it does not exist");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  private static List<Path> parquetFiles(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return new ArrayList<>(files.filter(f -> f.getFileName().toString().endsWith(".parquet")).sorted().toList());
    }
  }
}
