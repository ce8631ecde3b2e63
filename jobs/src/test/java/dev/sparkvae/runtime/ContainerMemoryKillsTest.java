package dev.sparkvae.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.cluster.ClusterProfile;
import dev.sparkvae.config.Settings;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.junit.jupiter.api.Test;

/**
 * A job's failure after YARN killed an executor's container for its memory: explained with the profile's advice,
 * whether the kill reached the listener first (the job then often fails only because YARN ended the application)
 * or is in the failure's own message (a lost task's reason); any other failure stays as it is.
 */
class ContainerMemoryKillsTest {
  private static final Path CONF = Paths.get("..", "conf").toAbsolutePath().normalize();
  /** Spark's reason for an executor whose container ended with exit status -104. */
  private static final String KILLED = "Container killed by YARN for exceeding physical memory limits. 601.2 MB of "
      + "576 MB physical memory used. Consider boosting spark.executor.memoryOverhead.";

  private final ContainerMemoryKills kills = new ContainerMemoryKills(ClusterProfile.from(Settings.load(
      new File(CONF.toFile(), "clusters/yarn-cpu.conf"), null, new ArrayList<>(List.of(
          "cluster.executor.memory=512m", "cluster.executor.memory-overhead=32m",
          "cluster.executor.javacpp-max-bytes=\"\"", "cluster.executor.javacpp-max-physical-bytes=\"\"")))));

  @Test
  void aKillSeenByTheListenerExplainsALaterFailure() {
    RuntimeException shutDown = new IllegalStateException("Job 3 cancelled because SparkContext was shut down");
    assertThat(kills.explain(shutDown)).as("before any kill").isSameAs(shutDown);

    kills.onExecutorRemoved(new SparkListenerExecutorRemoved(0L, "1", "Executor heartbeat timed out"));
    assertThat(kills.explain(shutDown)).as("after another loss").isSameAs(shutDown);

    kills.onExecutorRemoved(new SparkListenerExecutorRemoved(0L, "2", KILLED));
    RuntimeException explained = kills.explain(shutDown);
    assertThat(explained).isInstanceOf(ContainerKilledException.class).hasCause(shutDown);
    assertThat(explained.getMessage()).startsWith("YARN killed an executor's container for exceeding its physical "
        + "memory (601.2 MB of 576 MB physical memory used). A container is cluster.executor.memory + "
        + "cluster.executor.memory-overhead (512m + 32m, the overhead from --set "
        + "cluster.executor.memory-overhead=32m: 1 in cluster profile yarn-cpu)");
  }

  @Test
  void aKillInTheFailuresOwnMessageExplainsIt() {
    Exception lostTask = new SparkException("Job aborted due to stage failure: Task 0 in stage 20.0 failed 1 times, "
        + "most recent failure: Lost task 0.0 in stage 20.0 (TID 19) (node-7 executor 1): ExecutorLostFailure "
        + "(executor 1 exited caused by one of the running tasks) Reason: " + KILLED);
    Exception explained = kills.explain(new RuntimeException("train failed", lostTask));
    assertThat(explained).isInstanceOf(ContainerKilledException.class);
    assertThat(explained.getMessage()).contains("(601.2 MB of 576 MB physical memory used)")
        .endsWith(": raise cluster.executor.memory-overhead (keeping cluster.executor.javacpp-max-bytes below it)");
  }
}
