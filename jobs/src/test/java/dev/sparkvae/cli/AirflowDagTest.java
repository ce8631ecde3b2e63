package dev.sparkvae.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.cluster.LaunchCommand;
import dev.sparkvae.io.JsonFiles;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The Airflow DAG (submit-scripts/airflow/sparkvae_dags.py) against the command-line contract: it compiles; imported
 * against a stand-in for Airflow (jobs/src/test/python; Airflow itself is not installed here), every task submits
 * the application, class and settings that submit-scripts/sparkvae.sh submits for the same profile and job, and its
 * arguments parse as that job's command line in {@link Cli}.
 */
class AirflowDagTest {
  private static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();
  private static final Path DAG_FILE = ROOT.resolve("submit-scripts/airflow/sparkvae_dags.py");
  private static final String PROFILE = "yarn-cpu";

  @TempDir Path dir;

  @Test
  void theDagCompiles() throws Exception {
    Path compiled = dir.resolve("dags.pyc");
    String output = python(List.of("-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], "
        + "doraise=True)", DAG_FILE.toString(), compiled.toString()), Map.of());
    assertThat(compiled).as(output).isRegularFile();
  }

  @Test
  void everyTaskSubmitsWhatTheLauncherSubmits() throws Exception {
    ObjectNode plan = launch(List.of()).airflowPlan();
    Path planFile = dir.resolve("plan.json");
    Files.writeString(planFile, plan.toString());
    JsonNode dags = JsonFiles.MAPPER.readTree(python(List.of(ROOT.resolve("jobs/src/test/python/dump_dags.py").toString(),
        DAG_FILE.toString()), Map.of("SPARKVAE_PLAN", planFile.toString())));

    assertThat(dags).hasSize(2);
    assertThat(dags.get(0).get("dag_id").asText()).isEqualTo("sparkvae_train_weekly");
    assertThat(dags.get(0).get("schedule").asText()).isEqualTo("@weekly");
    assertThat(taskIds(dags.get(0))).containsExactly("train");
    assertThat(dags.get(1).get("dag_id").asText()).isEqualTo("sparkvae_score_daily");
    assertThat(dags.get(1).get("schedule").asText()).isEqualTo("@daily");
    assertThat(taskIds(dags.get(1))).containsExactly("encode", "reconstruct");
    assertThat(dags.get(1).get("tasks").get(0).get("downstream").toString()).isEqualTo("[\"reconstruct\"]");

    for (JsonNode dag : dags) {
      for (JsonNode task : dag.get("tasks")) {
        String job = task.get("task_id").asText();
        List<String> args = rendered(strings(task.get("application_args")));
        List<String> prefix = strings(plan.get("application_args_prefix"));
        assertThat(args.subList(0, prefix.size())).as(job).isEqualTo(prefix);
        List<String> jobArgs = args.subList(prefix.size(), args.size());

        CommandLine.ParseResult parsed = Cli.commandLine(new Cli()).parseArgs(args.toArray(String[]::new));
        assertThat(parsed.subcommand().commandSpec().name()).as("the job %s runs", job).isEqualTo(job);
        assertThat(task.get("java_class").asText()).isEqualTo(Cli.class.getName());

        List<String> command = launch(jobArgs).command();
        int jar = jarIndex(command);
        assertThat(task.get("application").asText()).as(job).isEqualTo(command.get(jar));
        assertThat(args).as(job).isEqualTo(command.subList(jar + 1, command.size()));
        assertThat(hookOptions(task)).as("%s: spark-submit options from Airflow vs sparkvae.sh", job)
            .containsExactlyInAnyOrderElementsOf(scriptOptions(command.subList(0, jar)));
      }
    }
    assertThat(plan.get("master").asText()).isEqualTo("yarn");
    assertThat(plan.get("deploy_mode").asText()).isEqualTo("client");
  }

  /** The arguments as Airflow renders their templates on a given day. */
  private static List<String> rendered(List<String> args) {
    List<String> rendered = new ArrayList<>();
    for (String arg : args) {
      rendered.add(arg.replaceAll("\\{\\{ var\\.value\\.get\\('sparkvae_recipe', '([^']*)'\\) }}", "$1")
          .replace("{{ var.value.sparkvae_data }}", "/data/fmnist")
          .replace("{{ var.value.sparkvae_models }}", "/models/fmnist")
          .replace("{{ var.value.sparkvae_output }}", "/output/fmnist")
          .replace("{{ ds }}", "2026-01-05"));
    }
    assertThat(String.join(" ", rendered)).doesNotContain("{{");
    return rendered;
  }

  private static LaunchCommand launch(List<String> jobArgs) {
    return new LaunchCommand(new LaunchCommand.Options(ROOT.toFile(), PROFILE, ROOT.resolve("conf").toFile(),
        "/opt/spark", "java", List.of(), List.of(), "", false, jobArgs));
  }

  /** spark-submit options the way Airflow's SparkSubmitHook passes the operator's arguments (master and deploy mode
   * come from the Airflow connection, so they are left out on both sides). */
  private static List<String> hookOptions(JsonNode task) {
    List<String> options = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = task.get("conf").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> conf = it.next();
      options.add("--conf " + conf.getKey() + "=" + conf.getValue().asText());
    }
    for (String key : List.of("files", "driver_memory", "executor_memory", "executor_cores", "num_executors",
        "total_executor_cores", "name")) {
      if (task.has(key)) {
        options.add("--" + key.replace('_', '-') + " " + task.get(key).asText());
      }
    }
    options.add("--class " + task.get("java_class").asText());
    return options;
  }

  /** The launcher's spark-submit options (after the environment and the program), as "flag value". */
  private static List<String> scriptOptions(List<String> head) {
    int first = head.indexOf("--master");
    List<String> options = new ArrayList<>();
    for (int i = first; i < head.size(); i += 2) {
      if (!head.get(i).equals("--master") && !head.get(i).equals("--deploy-mode")) {
        options.add(head.get(i) + " " + head.get(i + 1));
      }
    }
    return options;
  }

  private static int jarIndex(List<String> command) {
    for (int i = command.indexOf("--master"); i < command.size(); i += 2) {
      if (!command.get(i).startsWith("--")) {
        return i;
      }
    }
    throw new AssertionError("no application jar in " + command);
  }

  private static List<String> taskIds(JsonNode dag) {
    List<String> ids = new ArrayList<>();
    dag.get("tasks").forEach(task -> ids.add(task.get("task_id").asText()));
    return ids;
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }

  /** Runs python3 (CI installs it) and returns its standard output; fails with its error output. */
  private String python(List<String> args, Map<String, String> env) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3"));
    command.addAll(args);
    File out = dir.resolve("python.out").toFile();
    File err = dir.resolve("python.err").toFile();
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out).redirectError(err);
    builder.environment().putAll(env);
    builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process process = builder.start();
    assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("python3 finished").isTrue();
    assertThat(process.exitValue()).as(Files.readString(err.toPath(), StandardCharsets.UTF_8)).isZero();
    return Files.readString(out.toPath(), StandardCharsets.UTF_8);
  }
}
