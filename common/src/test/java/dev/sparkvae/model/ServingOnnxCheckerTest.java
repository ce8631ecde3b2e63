package dev.sparkvae.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkvae.config.VaeSpec;
import dev.sparkvae.io.JsonFiles;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The served graphs of a saved model directory, validated by the onnx Python package (Debian's python3-onnx), an
 * implementation independent of ours and of ONNX Runtime: the full checker, then strict shape inference, once as
 * written and once with the declared output shapes erased, so that the output shapes are inferred from the nodes.
 * Skipped when python3-onnx is missing, except under CI (the environment variable CI set), where it fails.
 */
class ServingOnnxCheckerTest {
  private static final String PYTHON = "/usr/bin/python3";
  private static final String CHECK = """
      import json, sys
      import onnx
      def dims(value):
          return [d.dim_param or str(d.dim_value) for d in value.type.tensor_type.shape.dim]
      report = {}
      for path in sys.argv[1:]:
          model = onnx.load(path)
          onnx.checker.check_model(model, full_check=True)
          onnx.shape_inference.infer_shapes(model, strict_mode=True)
          for output in model.graph.output:
              output.type.tensor_type.ClearField("shape")
          inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
          report[path.rsplit("/", 1)[-1]] = {
              "inputs": {i.name: dims(i) for i in inferred.graph.input},
              "outputs": {o.name: dims(o) for o in inferred.graph.output}}
      print(json.dumps(report))
      """;

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {VaeSpec.BERNOULLI, VaeSpec.GAUSSIAN})
  void onnxCheckerAcceptsBothGraphsAndInfersTheirOutputShapes(String distribution) throws Exception {
    assumeOnnxInstalled();
    VaeSpec spec = new VaeSpec(new int[] {32, 16}, new int[] {16, 32}, 4, "leakyrelu", distribution);
    ServingOnnxTest.savedModel(dir, spec, ServingOnnxTest.randomNetwork(spec, 2));

    JsonNode report = JsonFiles.MAPPER.readTree(python(List.of("-c", CHECK,
        dir.resolve("model/encoder.onnx").toString(), dir.resolve("model/decoder.onnx").toString())));

    JsonNode encoder = report.get("encoder.onnx");
    assertThat(encoder.get("inputs").toString()).isEqualTo("{\"x\":[\"N\",\"20\"]}");
    assertThat(encoder.get("outputs").toString())
        .isEqualTo("{\"z_mean\":[\"N\",\"4\"],\"z_log_var\":[\"N\",\"4\"]}");
    JsonNode decoder = report.get("decoder.onnx");
    assertThat(decoder.get("inputs").toString()).isEqualTo("{\"z\":[\"N\",\"4\"]}");
    assertThat(decoder.get("outputs").toString()).isEqualTo("{\"x_mean\":[\"N\",\"20\"]}");
  }

  private void assumeOnnxInstalled() throws Exception {
    boolean installed = new File(PYTHON).canExecute() && new ProcessBuilder(PYTHON, "-c", "import onnx")
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor() == 0;
    if (System.getenv("CI") != null) {
      assertThat(installed).as("CI must validate the ONNX graphs: install Debian's python3-onnx").isTrue();
    }
    assumeThat(installed).as("Debian's python3-onnx (for " + PYTHON + ") is not installed").isTrue();
  }

  /** Runs {@value #PYTHON} and returns its standard output; fails with its error output. */
  private String python(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON));
    command.addAll(args);
    File out = dir.resolve("python.out").toFile();
    File err = dir.resolve("python.err").toFile();
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out).redirectError(err);
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process = builder.start();
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("python3 finished").isTrue();
    assertThat(process.exitValue()).as(Files.readString(err.toPath(), StandardCharsets.UTF_8)).isZero();
    return Files.readString(out.toPath(), StandardCharsets.UTF_8);
  }
}
