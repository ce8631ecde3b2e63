package dev.sparkvae.jobs;

import static dev.sparkvae.jobs.LoopbackCluster.concat;
import static dev.sparkvae.jobs.LoopbackCluster.run;
import static dev.sparkvae.jobs.LoopbackCluster.script;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.jobs.LoopbackCluster.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code yarn-cpu} profile on a real YARN cluster ({@link MiniYarn}: HDFS and YARN in this JVM, containers as
 * processes): {@code train} then {@code encode} go through submit-scripts/sparkvae.sh and the Spark home the build
 * assembles, in client and in cluster mode, with the sample, the model and the encodings on HDFS. The model and the
 * encodings must match a {@code local} run ({@link ReferenceRun}) and the executors must have run in YARN
 * containers. Runs after {@code package} (maven-failsafe).
 */
class YarnClusterIT {
  private static final Path SPARK_HOME = LoopbackCluster.SPARK_HOME;
  /** yarn-cpu's sizes cut to a 2-core build machine: two executors of 1 core, as on the standalone cluster. */
  private static final List<String> SIZES = sets("cluster.driver.memory=1g", "cluster.driver.javacpp-max-bytes=1g",
      "cluster.driver.javacpp-max-physical-bytes=3g", "cluster.executor.instances=2", "cluster.executor.cores=1",
      "cluster.executor.memory=1g", "cluster.executor.memory-overhead=1g", "cluster.executor.javacpp-max-bytes=768m",
      "cluster.executor.javacpp-max-physical-bytes=2g", "cluster.spark-conf.\"spark.sql.shuffle.partitions\"=\"4\"",
      "cluster.spark-conf.\"spark.scheduler.maxRegisteredResourcesWaitingTime\"=\"120s\"");

  private static final List<String> CLUSTER_MODE = sets("cluster.deploy-mode=cluster",
      "cluster.conf-dir=\"" + LoopbackCluster.ROOT.resolve("conf") + "\"");

  @TempDir static Path dir;
  private static MiniYarn yarn;
  /** The sample on HDFS. */
  private static String sample;

  @BeforeAll
  static void startYarn() throws Exception {
    assertThat(SPARK_HOME.resolve("jars")).as("the Spark home the build assembles (./mvnw package)").isDirectory();
    assertThat(LoopbackCluster.cpuJar()).as("the shaded CPU jar (./mvnw package)").isRegularFile();
    yarn = MiniYarn.start(dir.resolve("yarn"), SPARK_HOME);
    yarn.fs().copyFromLocalFile(new org.apache.hadoop.fs.Path(TestSpark.SAMPLE.toUri()),
        new org.apache.hadoop.fs.Path("/sample"));
    sample = yarn.fs().getUri() + "/sample";
  }

  @AfterAll
  static void stopYarn() {
    if (yarn != null) {
      yarn.close();
    }
  }

  @Test
  void inClientModeTrainAndEncodeMatchALocalRun() throws Exception {
    trainAndEncodeMatchALocalRun("client", List.of());
  }

  @Test
  void inClusterModeTrainAndEncodeMatchALocalRun() throws Exception {
    trainAndEncodeMatchALocalRun("cluster", CLUSTER_MODE);
  }

  /**
   * A container too small for its executor: a 64m overhead beside a 512m heap, for a model ({@code [2048, 2048]}
   * layers) whose off-heap arrays need far more. The JavaCPP limits are unset, as the profile's rules allow: with
   * javacpp-max-bytes below the overhead ND4J would fail first with its own OutOfMemoryError. The NodeManager kills
   * an executor's container for its physical memory; with one attempt per task the job fails at once, names
   * cluster.executor.memory-overhead, and leaves no model at the final path.
   */
  @Test
  void anExecutorKilledForItsMemoryNamesTheOverhead() throws Exception {
    String model = yarn.fs().getUri() + "/killed/model";
    List<String> tooSmall = sets("cluster.executor.memory=512m", "cluster.executor.memory-overhead=64m",
        "cluster.executor.javacpp-max-bytes=\"\"", "cluster.executor.javacpp-max-physical-bytes=\"\"",
        "vae.encoder-sizes=[2048, 2048]", "vae.decoder-sizes=[2048, 2048]",
        "cluster.spark-conf.\"spark.task.maxFailures\"=\"1\"");
    Run train = submit(concat(ReferenceRun.train(sample, model), tooSmall), "killed-train");

    assertThat(train.code()).as(train.output()).isNotZero();
    assertThat(train.output()).contains("YARN killed an executor's container for exceeding its physical memory")
        .contains("of 576 MB physical memory used").contains("raise cluster.executor.memory-overhead");
    assertThat(yarn.fs().exists(new org.apache.hadoop.fs.Path(model))).as("a model at " + model).isFalse();
    train.output().lines().filter(line -> line.contains("raise cluster.executor.memory-overhead"))
        .reduce((first, last) -> last)
        .ifPresent(line -> System.out.printf("YarnClusterIT: %s: %s%n", train.name(), line));
  }

  private void trainAndEncodeMatchALocalRun(String mode, List<String> modeSettings) throws Exception {
    String model = yarn.fs().getUri() + "/" + mode + "/model";
    String codes = yarn.fs().getUri() + "/" + mode + "/codes";

    Run train = submit(concat(ReferenceRun.train(sample, model), modeSettings), mode + "-train");
    ApplicationReport trainApp = succeeded(train, "spark-vae train");
    DriverLog trainLog = driverLog(train, trainApp, mode);
    assertThat(trainLog.text()).contains("Trained 2 epochs on 2000 examples");
    Run encode = submit(concat(ReferenceRun.encode(sample, model, codes), modeSettings), mode + "-encode");
    ApplicationReport encodeApp = succeeded(encode, "spark-vae encode");
    DriverLog encodeLog = driverLog(encode, encodeApp, mode);
    assertThat(encodeLog.text()).contains("Encoded 500 rows to " + codes);

    Path localCopy = Files.createDirectories(dir.resolve(mode));
    yarn.fs().copyToLocalFile(false, new org.apache.hadoop.fs.Path(model),
        new org.apache.hadoop.fs.Path(localCopy.toUri()), true);
    yarn.fs().copyToLocalFile(false, new org.apache.hadoop.fs.Path(codes),
        new org.apache.hadoop.fs.Path(localCopy.toUri()), true);
    ReferenceRun.shared().assertMatchedBy("YarnClusterIT, " + mode + " mode", localCopy.resolve("model"),
        localCopy.resolve("codes"));

    assertExecutorsRanInContainers(trainLog, trainApp);
    assertExecutorsRanInContainers(encodeLog, encodeApp);
  }

  /** The job exited 0 and YARN reports its application SUCCEEDED. */
  private static ApplicationReport succeeded(Run job, String name) throws Exception {
    assertThat(job.code()).as(job.output()).isZero();
    ApplicationReport app = yarn.latestApplication(name);
    assertThat(app.getFinalApplicationStatus()).as(app.getDiagnostics()).isEqualTo(FinalApplicationStatus.SUCCEEDED);
    return app;
  }

  /** In client mode the driver is spark-submit's JVM; in cluster mode it runs in the application's first container. */
  private static DriverLog driverLog(Run job, ApplicationReport app, String mode) throws Exception {
    String name = "YarnClusterIT: " + job.name() + " " + app.getApplicationId();
    return mode.equals("client") ? new DriverLog(name, job.output())
        : DriverLog.ofContainer(name, yarn.containerLogs(app).get(0));
  }

  /**
   * The two executors the driver reached were separate JVMs, each started by the NodeManager in a container of the
   * application other than the ApplicationMaster's: its log says the executor's pid.
   */
  private static void assertExecutorsRanInContainers(DriverLog log, ApplicationReport app) throws Exception {
    log.assertSeparateExecutorJvms("1", "2");
    List<Path> executorContainers = yarn.containerLogs(app);
    executorContainers = executorContainers.subList(1, executorContainers.size());
    Map<String, String> containerByExecutor = new HashMap<>();
    for (Map.Entry<String, String> executor : log.executorPids().entrySet()) {
      List<String> containers = new ArrayList<>();
      for (Path container : executorContainers) {
        if (Files.readString(container.resolve("stderr")).contains("Started daemon with process name: "
            + executor.getValue() + "@")) {
          containers.add(container.getFileName().toString());
        }
      }
      assertThat(containers).as("containers whose JVM was executor " + executor.getKey() + " (pid "
          + executor.getValue() + ")").hasSize(1);
      containerByExecutor.put(executor.getKey(), containers.get(0));
    }
    System.out.printf("%s: executor -> container %s%n", log.name(), containerByExecutor);
  }

  private static Run submit(List<String> jobArgs, String name) throws Exception {
    List<String> command = new ArrayList<>(List.of(script("sparkvae.sh"), "--cluster", "yarn-cpu"));
    command.addAll(jobArgs.subList(0, 1));
    command.addAll(concat(SIZES, jobArgs.subList(1, jobArgs.size())));
    Map<String, String> env = new HashMap<>(yarn.environment());
    env.put("SPARK_HOME", SPARK_HOME.toString());
    return run(dir, command, env, name);
  }

  private static List<String> sets(String... settings) {
    List<String> args = new ArrayList<>();
    for (String setting : settings) {
      args.addAll(List.of("--set", setting));
    }
    return args;
  }
}
