package dev.sparkvae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.io.JsonFiles;
import dev.sparkvae.jobs.LoadedLibraries;
import dev.sparkvae.jobs.TestModels;
import dev.sparkvae.jobs.TestSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a run from the command line shows to Spark and to schedulers: job groups, descriptions, run summaries. */
class JobRunTest {
  @TempDir Path dir;

  /** The group and description of every Spark job started, as a listener on the bus sees them. */
  private record SparkJob(String group, String description) {}

  private static final class JobRecorder extends SparkListener {
    final List<SparkJob> jobs = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void onJobStart(SparkListenerJobStart event) {
      jobs.add(new SparkJob(event.properties().getProperty("spark.jobGroup.id"),
          event.properties().getProperty("spark.job.description")));
    }
  }

  private String err;

  /** Runs the command line on the test session (which it stops at the end, draining the listener bus). */
  private int run(JobRecorder recorder, String... args) {
    TestSpark.session().sparkContext().addSparkListener(recorder);
    StringWriter errText = new StringWriter();
    int code = Cli.run(new PrintWriter(new StringWriter(), true), new PrintWriter(errText, true),
        Stream.concat(Stream.of(TestSpark.LOCAL_CLUSTER), Stream.of(args)).toArray(String[]::new));
    err = errText.toString();
    return code;
  }

  @Test
  void everySparkJobOfATrainRunIsInTheRunsGroupAndSaysWhatItIs() throws Exception {
    JobRecorder recorder = new JobRecorder();
    String model = dir.resolve("model").toString();
    String summary = dir.resolve("train-summary.json").toString();
    assertThat(run(recorder, "train", "--input", TestSpark.SAMPLE.resolve("train").toString(), "--test",
        TestSpark.SAMPLE.resolve("test").toString(), "--model", model, "--epochs", "1", "--summary", summary,
        "--set", "vae.encoder-sizes=[32]", "--set", "vae.decoder-sizes=[32]", "--set", "plot.latent-points=100",
        "--set", "train.batch-size-per-worker=100", "--set", "train.averaging-frequency=2"))
        .as(err).isZero();

    assertThat(recorder.jobs).as("Spark jobs of the run").hasSizeGreaterThan(5);
    String group = recorder.jobs.get(0).group();
    assertThat(group).matches("sparkvae-train-[0-9a-f]{8}");
    assertThat(recorder.jobs).allSatisfy(job -> {
      assertThat(job.group()).isEqualTo(group);
      assertThat(job.description()).startsWith("train");
    });
    List<String> descriptions = recorder.jobs.stream().map(SparkJob::description).toList();
    assertThat(descriptions).contains("train: reading " + TestSpark.SAMPLE.resolve("train"),
        "train: validating input " + TestSpark.SAMPLE.resolve("train"),
        "train: epoch 1/1", "train: epoch 1/1, evaluation", "train: anomaly threshold",
        "train: plots from 100 rows of " + TestSpark.SAMPLE.resolve("test"));
    assertThat(descriptions).as("20 minibatches, 2 workers averaging every 2: 5 rounds")
        .contains("train: epoch 1/1, after round 1/5", "train: epoch 1/1, after round 4/5");

    JsonNode json = JsonFiles.MAPPER.readTree(dir.resolve("train-summary.json").toFile());
    assertThat(json.get("job").asText()).isEqualTo("train");
    assertThat(json.get("status").asText()).isEqualTo("succeeded");
    assertThat(json.get("error").isNull()).isTrue();
    assertThat(json.at("/inputs/input").asText()).isEqualTo(TestSpark.SAMPLE.resolve("train").toString());
    assertThat(json.at("/outputs/model").asText()).isEqualTo(model);
    assertThat(json.at("/outputs/plots").asText()).isEqualTo(model + "/plots");
    assertThat(json.at("/counts/train_examples").asLong()).isEqualTo(2000);
    assertThat(json.at("/counts/test_examples").asLong()).isEqualTo(500);
    assertThat(json.at("/counts/epochs").asLong()).isEqualTo(1);
    double total = json.at("/timings/total_seconds").asDouble();
    assertThat(json.at("/timings/training_seconds").asDouble()).isPositive().isLessThan(total);
    assertThat(json.get("rows_per_second").asDouble()).isCloseTo(2000 / total,
        org.assertj.core.data.Percentage.withPercentage(1));
    assertThat(json.at("/environment/nd4j_backend").asText()).isEqualTo("org.nd4j.linalg.cpu.nativecpu.CpuBackend");
    assertThat(json.at("/environment/blas_vendor").asText()).isEqualTo("OPENBLAS");
    assertThat(json.at("/environment/spark_master").asText()).isEqualTo("local[2,2]");
    assertThat(json.at("/environment/spark_version").asText()).as("the Spark loaded")
        .isEqualTo(LoadedLibraries.version(SparkContext.class));
    assertThat(json.at("/versions/deeplearning4j").asText()).as("the DL4J loaded")
        .isEqualTo(LoadedLibraries.version(MultiLayerNetwork.class));
  }

  @Test
  void encodeRunsInItsGroupAndAFailedRunStillLeavesASummary() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 500);
    JobRecorder recorder = new JobRecorder();
    String output = dir.resolve("encoded").toString();
    String input = TestSpark.SAMPLE.resolve("test").toString();
    assertThat(run(recorder, "encode", "--input", input, "--model", model, "--output", output, "--summary",
        dir.resolve("encode.json").toString())).as(err).isZero();
    assertThat(recorder.jobs).isNotEmpty().allSatisfy(job -> {
      assertThat(job.group()).matches("sparkvae-encode-[0-9a-f]{8}");
      assertThat(job.description()).startsWith("encode");
    });
    assertThat(recorder.jobs).extracting(SparkJob::description).contains("encode: " + input + " to " + output);
    JsonNode encoded = JsonFiles.MAPPER.readTree(dir.resolve("encode.json").toFile());
    assertThat(encoded.at("/counts/rows_written").asLong()).isEqualTo(500);
    assertThat(encoded.at("/inputs/model").asText()).isEqualTo(model);
    assertThat(encoded.at("/outputs/output").asText()).isEqualTo(output);
    assertThat(encoded.at("/environment/inference_engine").asText()).isEqualTo("onnxruntime");

    String missing = dir.resolve("no-model").toString();
    assertThat(run(new JobRecorder(), "encode", "--input", input, "--model", missing, "--output",
        dir.resolve("never").toString(), "--summary", dir.resolve("failed.json").toString())).isEqualTo(1);
    JsonNode failed = JsonFiles.MAPPER.readTree(dir.resolve("failed.json").toFile());
    assertThat(failed.get("status").asText()).isEqualTo("failed");
    assertThat(failed.get("error").asText())
        .isEqualTo("Cannot load model from " + missing + ": the directory does not exist");
    assertThat(failed.get("counts").size()).isZero();
    assertThat(dir.resolve("never")).doesNotExist();

    assertThat(run(new JobRecorder(), "encode", "--input", input, "--model", model, "--output",
        dir.resolve("other").toString(), "--summary", dir.resolve("encode.json").toString())).isEqualTo(1);
    assertThat(err.trim()).isEqualTo("sparkvae encode failed: Cannot write " + dir.resolve("encode.json")
        + ": it already exists (pass --overwrite to replace it)");
    assertThat(dir.resolve("other")).as("refused before any work").doesNotExist();
  }
}
