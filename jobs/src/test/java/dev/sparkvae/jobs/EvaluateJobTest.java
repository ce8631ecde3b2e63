package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.io.JsonFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvaluateJobTest {
  @TempDir Path dir;

  private static EvaluateJob.Options withoutPlots(String input, String model) {
    return new EvaluateJob.Options().settings(TestSpark.settings("plot.enabled=false")).input(input).model(model)
        .samples(16);
  }

  @Test
  void summarisesTheModelOnADatasetRepeatably() throws Exception {
    String model = dir.resolve("model").toString();
    TestModels.write(model, 784, 540.0);
    String input = TestSpark.SAMPLE.resolve("test").toString();
    String output = dir.resolve("summary.json").toString();

    ObjectNode summary = new EvaluateJob(TestSpark.session(), withoutPlots(input, model).output(output)
        .batchSize(128)).run().toJson();

    assertThat(summary.get("rows").asLong()).isEqualTo(500);
    double elbo = summary.get("negative_elbo_mean").asDouble();
    double p50 = summary.get("reconstruction_error_p50").asDouble();
    double p99 = summary.get("reconstruction_error_p99").asDouble();
    assertThat(p50).isPositive().isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(summary.get("reconstruction_error_max").asDouble());
    assertThat(summary.get("log_prob_min").asDouble()).isLessThanOrEqualTo(summary.get("log_prob_mean").asDouble());
    assertThat(-summary.get("log_prob_mean").asDouble())
        .as("the importance-sampled bound is tighter than the ELBO (Burda et al. 2015)").isLessThan(elbo);
    JsonNode written = JsonFiles.MAPPER.readTree(Files.readString(dir.resolve("summary.json")));
    assertThat(written.toString()).isEqualTo(summary.toString());

    ObjectNode again = new EvaluateJob(TestSpark.session(), withoutPlots(input, model).batchSize(64)).run()
        .toJson();
    assertThat(again.get("log_prob_mean").asDouble()).as("same figures with another batch size")
        .isCloseTo(summary.get("log_prob_mean").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
    assertThatThrownBy(() -> new EvaluateJob(TestSpark.session(), withoutPlots(input, model).output(output)
        .batchSize(64)).run())
        .hasMessage("Cannot write " + output + ": it already exists (pass --overwrite to replace it)");
  }
}
