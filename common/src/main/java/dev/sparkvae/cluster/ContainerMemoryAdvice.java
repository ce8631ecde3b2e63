package dev.sparkvae.cluster;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The advice a cluster profile gives when YARN kills an executor's container for its physical memory. */
final class ContainerMemoryAdvice {
  /** YARN's physical-memory kill, as Spark reports the lost executor and as the NodeManager's diagnostics say it. */
  private static final Pattern PHYSICAL_MEMORY_KILL = Pattern.compile("exceeding physical memory limits"
      + "|beyond the 'PHYSICAL' memory limit|beyond physical memory limits");
  private static final Pattern PHYSICAL_MEMORY_USED = Pattern.compile(
      "[0-9.]+ ?[KMGTP]?B of [0-9.]+ ?[KMGTP]?B physical memory used");

  private ContainerMemoryAdvice() {}

  /**
   * What to tell the user when YARN killed an executor's container for its physical memory: the container is
   * {@code cluster.executor.memory} plus {@code cluster.executor.memory-overhead}, and everything ND4J, OpenBLAS and
   * the JVM keep beside the heap has to fit in the overhead.
   *
   * @param reason why an executor was lost: Spark's executor-removed reason or the NodeManager's diagnostics
   * @return the advice, naming the overhead's key, value and origin; empty when {@code reason} is not YARN's
   *     physical-memory kill (a virtual-memory kill is the NodeManager's setting, not the profile's)
   */
  static Optional<String> of(ClusterProfile p, String reason) {
    if (reason == null || !PHYSICAL_MEMORY_KILL.matcher(reason).find()) {
      return Optional.empty();
    }
    Matcher used = PHYSICAL_MEMORY_USED.matcher(reason);
    String overhead = p.memoryOverhead.isEmpty() ? "Spark's default of 10%, at least 384m" : p.memoryOverhead;
    return Optional.of(String.format("YARN killed an executor's container for exceeding its physical memory%s. A "
        + "container is cluster.executor.memory + cluster.executor.memory-overhead (%s + %s, the overhead from %s in "
        + "cluster profile %s), and ND4J's arrays, OpenBLAS and the JVM's own memory live in the overhead: raise "
        + "cluster.executor.memory-overhead (keeping cluster.executor.javacpp-max-bytes below it)",
        used.find() ? " (" + used.group() + ")" : "",
        p.executorMemory.isEmpty() ? "Spark's default" : p.executorMemory, overhead, p.settings.origin("cluster.executor.memory-overhead"), p.name()));
  }
}
