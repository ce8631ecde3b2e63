package dev.sparkvae.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sparkvae.config.Settings;
import java.io.File;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The advice a job gives when YARN killed an executor's container for its memory, on the texts YARN and Spark
 * really write: Spark's reason for the lost executor, the NodeManager's diagnostics of Hadoop 3 and 2, and losses
 * that are no physical-memory kill.
 */
class ContainerMemoryAdviceTest {
  private static final Path CONF = Paths.get("..", "conf").toAbsolutePath().normalize();
  /** Spark's YarnAllocator, for a container that ended with exit status -104. */
  private static final String SPARK_REASON = "Container killed by YARN for exceeding physical memory limits. 610.3 MB "
      + "of 576 MB physical memory used. Consider boosting spark.executor.memoryOverhead.";
  /** Hadoop 3's ContainersMonitorImpl. */
  private static final String HADOOP3_DIAGNOSTICS = "[2026-12-02 14:31:07.512]Container [pid=41234,containerID="
      + "container_1764685861234_0003_01_000002] is running 36700160B beyond the 'PHYSICAL' memory limit. Current "
      + "usage: 611.0 MB of 576 MB physical memory used; 3.9 GB of 1.2 GB virtual memory used. Killing container.\n"
      + "Dump of the process-tree for container_1764685861234_0003_01_000002 :\n";
  /** Hadoop 2's ContainersMonitorImpl. */
  private static final String HADOOP2_DIAGNOSTICS = "Container [pid=4733,containerID=container_1409135750325_48141_02_"
      + "000001] is running beyond physical memory limits. Current usage: 2.0 GB of 2 GB physical memory used; 6.0 GB "
      + "of 4.2 GB virtual memory used. Killing container";

  @Test
  void aPhysicalMemoryKillNamesTheOverheadItsValueAndWhereItWasSet() {
    ClusterProfile profile = yarnCpu("cluster.executor.memory=512m", "cluster.executor.memory-overhead=64m",
        "cluster.executor.javacpp-max-bytes=32m", "cluster.executor.javacpp-max-physical-bytes=576m");

    assertThat(profile.containerMemoryAdvice(SPARK_REASON)).hasValue("YARN killed an executor's container for "
        + "exceeding its physical memory (610.3 MB of 576 MB physical memory used). A container is "
        + "cluster.executor.memory + cluster.executor.memory-overhead (512m + 64m, the overhead from --set "
        + "cluster.executor.memory-overhead=64m: 1 in cluster profile yarn-cpu), and ND4J's arrays, OpenBLAS and the "
        + "JVM's own memory live in the overhead: raise cluster.executor.memory-overhead (keeping "
        + "cluster.executor.javacpp-max-bytes below it)");
    assertThat(profile.containerMemoryAdvice(HADOOP3_DIAGNOSTICS)).get().asString()
        .startsWith("YARN killed an executor's container for exceeding its physical memory (611.0 MB of 576 MB "
            + "physical memory used). A container is");
    assertThat(profile.containerMemoryAdvice(HADOOP2_DIAGNOSTICS)).get().asString()
        .contains("(2.0 GB of 2 GB physical memory used)").contains("(512m + 64m, the overhead from --set");
  }

  @Test
  void theProfilesOwnOverheadIsNamedWithItsFileAndLine() {
    assertThat(yarnCpu().containerMemoryAdvice(SPARK_REASON)).get().asString()
        .contains("(8g + 6g, the overhead from " + CONF.resolve("clusters/yarn-cpu.conf") + ": 17 in cluster profile "
            + "yarn-cpu)");
  }

  @Test
  void otherLossesGiveNoAdvice() {
    ClusterProfile profile = yarnCpu();
    assertThat(profile.containerMemoryAdvice(null)).isEmpty();
    assertThat(profile.containerMemoryAdvice("Container killed by YARN for exceeding virtual memory limits. 2.5 GB of "
        + "2.1 GB virtual memory used. Consider boosting spark.executor.memoryOverhead or boosting "
        + "yarn.nodemanager.vmem-pmem-ratio or disabling yarn.nodemanager.vmem-check-enabled because of YARN-4714."))
        .isEmpty();
    assertThat(profile.containerMemoryAdvice("Command exited with code 137")).isEmpty();
    assertThat(profile.containerMemoryAdvice("Container container_1764685861234_0003_01_000003 on host: node-7 was "
        + "preempted.")).isEmpty();
  }

  /** The yarn-cpu profile with {@code overrides} as a job's --sets. */
  private static ClusterProfile yarnCpu(String... overrides) {
    return ClusterProfile.from(Settings.load(new File(CONF.toFile(), "clusters/yarn-cpu.conf"), null,
        new ArrayList<>(List.of(overrides))));
  }
}
