package dev.sparkvae.cluster;

import static dev.sparkvae.cluster.ClusterProfile.bytes;

import dev.sparkvae.cluster.ClusterProfile.Backend;
import dev.sparkvae.config.InvalidSettingException;

/**
 * The rules a {@link ClusterProfile} must keep, between its values and against what ND4J loaded: checked before
 * anything starts, each failure naming the key, its value, where it came from and the rule.
 */
final class ProfileRules {
  private ProfileRules() {}

  /** Checks every rule between the profile's values. */
  static void check(ClusterProfile p) {
    if (!p.master.isEmpty() && !p.master.startsWith("local") && !p.master.startsWith("spark://")
        && !p.master.equals("yarn") && !p.master.startsWith("k8s://")) {
      throw p.invalid("cluster.master",
          "the value must be local[...], spark://HOST:PORT, yarn or k8s://https://HOST:PORT");
    }
    if (p.deployMode.equals("cluster")) {
      if (p.isLocal()) {
        throw p.invalid("cluster.deploy-mode", "a local master runs in one JVM: use client");
      }
      if (p.confDir.isEmpty()) {
        throw p.invalid("cluster.deploy-mode", "in cluster mode the driver runs on the cluster: set cluster.conf-dir "
            + "to conf/ as the driver sees it (e.g. in its container image)");
      }
    }
    if (p.instances > 0 && p.cores == 0 && p.master.startsWith("spark://")) {
      throw p.invalid("cluster.executor.instances", "a standalone master counts executors in cores: set "
          + "cluster.executor.cores too");
    }
    checkLimits(p, "cluster.driver", p.driverMemory, null, p.driverMaxBytes, p.driverMaxPhysicalBytes);
    checkLimits(p, "cluster.executor", p.executorMemory, p.memoryOverhead, p.executorMaxBytes,
        p.executorMaxPhysicalBytes);
    if (p.backend == Backend.CPU && p.gpus > 0) {
      throw p.invalid("cluster.executor.gpus", "GPUs need cluster.backend = gpu");
    }
    if (p.backend == Backend.GPU && !p.isLocal() && !p.master.isEmpty()) {
      if (p.gpus == 0) {
        throw p.invalid("cluster.executor.gpus", "backend gpu needs at least one GPU per executor");
      }
      if (p.cores > 0 && p.cores != p.gpus) {
        throw p.invalid("cluster.executor.cores", "one task per GPU: set it to cluster.executor.gpus (" + p.gpus + ")");
      }
      if (p.discoveryScript.isEmpty()) {
        throw p.invalid("cluster.gpu.discovery-script", "backend gpu needs a script that lists each executor's GPUs");
      }
    }
    String serializer = p.sparkConf.getOrDefault("spark.serializer", "");
    String registrators = p.sparkConf.getOrDefault("spark.kryo.registrator", "");
    if (serializer.equals(ClusterProfile.KRYO) && !registrators.contains(ClusterProfile.ND4J_REGISTRATOR)
        && !registrators.contains(ClusterProfile.BLOCK_REGISTRATOR)) {
      throw new InvalidSettingException(String.format("Cannot use Kryo (cluster.spark-conf.\"spark.serializer\" from "
          + "%s) without ND4J's registrator: set cluster.spark-conf.\"spark.kryo.registrator\" = \"%s\"",
          p.settings.origin("cluster.spark-conf.\"spark.serializer\""), ClusterProfile.ND4J_REGISTRATOR));
    }
  }

  /** Heap and off-heap limits that let ND4J fail with a clear OutOfMemoryError before a container is killed. */
  private static void checkLimits(ClusterProfile p, String group, String heap, String overhead, String maxBytes,
      String maxPhysicalBytes) {
    if (!maxBytes.isEmpty() && !maxPhysicalBytes.isEmpty() && bytes(maxBytes) >= bytes(maxPhysicalBytes)) {
      throw p.invalid(group + ".javacpp-max-bytes", "it must be below " + group + ".javacpp-max-physical-bytes ("
          + maxPhysicalBytes + "), which counts the whole process");
    }
    if (!heap.isEmpty() && !maxPhysicalBytes.isEmpty() && bytes(heap) >= bytes(maxPhysicalBytes)) {
      throw p.invalid(group + ".javacpp-max-physical-bytes", "it counts the heap too: it must be above " + group
          + ".memory (" + heap + ")");
    }
    if (overhead == null || overhead.isEmpty()) {
      return;
    }
    if (!maxBytes.isEmpty() && bytes(maxBytes) >= bytes(overhead)) {
      throw p.invalid(group + ".javacpp-max-bytes", "ND4J's arrays live off-heap: it must be below " + group
          + ".memory-overhead (" + overhead + ")");
    }
    if (!heap.isEmpty() && !maxPhysicalBytes.isEmpty() && bytes(maxPhysicalBytes) > bytes(heap) + bytes(overhead)) {
      throw p.invalid(group + ".javacpp-max-physical-bytes", "it must not exceed the container, " + group
          + ".memory + " + group + ".memory-overhead (" + heap + " + " + overhead + ")");
    }
  }

  /** Fails unless ND4J loaded the backend the profile asks for (see {@link ClusterProfile#requireBackend}). */
  static void requireBackend(ClusterProfile p, Nd4jBackendInfo found, String where) {
    Backend loaded = found.isCuda() ? Backend.GPU : Backend.CPU;
    if (loaded == p.backend && (p.backend == Backend.CPU || found.cudaDevices() > 0)) {
      return;
    }
    String asked = String.format("Cluster profile %s asks for the %s backend (cluster.backend = %s, from %s)", p.name,
        p.backend.name(), p.backend.key(), p.settings.origin("cluster.backend"));
    String remedy = p.backend == Backend.GPU
        ? "run the GPU jar (built with ./mvnw -Pgpu package) on nodes with an NVIDIA GPU and the CUDA 11.6 runtime"
        : "run the CPU jar, or set cluster.backend = gpu";
    String what = loaded == p.backend ? "ND4J loaded its CUDA backend but sees no CUDA device"
        : "ND4J loaded its " + loaded.name() + " backend";
    throw new InvalidSettingException(String.format("%s, but on %s %s (%s): %s", asked, where, what,
        found.describe(), remedy));
  }
}
