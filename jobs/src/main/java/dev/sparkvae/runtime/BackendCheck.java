package dev.sparkvae.runtime;

import dev.sparkvae.cluster.BlasKernel;
import dev.sparkvae.cluster.ClusterProfile;
import dev.sparkvae.cluster.NativeBuild;
import dev.sparkvae.cluster.Nd4jBackendInfo;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, at the start of every job, the ND4J backend loaded where tasks run, with its BLAS, threads and off-heap
 * limits, and fails fast when it is not the one the cluster profile asks for (a GPU profile on the CPU backend, or
 * on nodes without a CUDA device). In local mode that is the driver; on a cluster, one small Spark job asks every
 * executor it reaches (one task per task slot) for its backend, executor id, host and process id.
 */
public final class BackendCheck {
  private static final Logger LOG = LoggerFactory.getLogger(BackendCheck.class);

  private BackendCheck() {}

  /** Checks the driver's backend (local mode: the driver runs every task). */
  static void checkDriver(ClusterProfile profile) {
    Nd4jBackendInfo driver = Nd4jBackendInfo.current();
    String where = "the driver (pid " + ProcessHandle.current().pid() + ")";
    LOG.info("ND4J on {}: {}", where, driver.describe());
    warnOnSlowKernel(driver, where);
    profile.requireBackend(driver, where);
  }

  /**
   * Checks the executors' backends, or the driver's when {@code spark} is local and {@code driverChecked} is false.
   */
  static void check(SparkSession spark, ClusterProfile profile, boolean driverChecked) {
    if (spark.sparkContext().isLocal()) {
      if (!driverChecked) {
        checkDriver(profile);
      }
      return;
    }
    LOG.info("ND4J on the driver (pid {}): {}", ProcessHandle.current().pid(), Nd4jBackendInfo.current().describe());
    for (Map<String, String> executor : executorReports(spark)) {
      String where = String.format("executor %s (pid %s on %s)", executor.get("executorId"), executor.get("pid"),
          executor.get("host"));
      Nd4jBackendInfo backend = Nd4jBackendInfo.fromMap(executor);
      LOG.info("ND4J on {}: {}", where, backend.describe());
      warnOnSlowKernel(backend, where);
      profile.requireBackend(backend, where);
    }
  }

  private static void warnOnSlowKernel(Nd4jBackendInfo backend, String where) {
    if (backend.slowKernel()) {
      LOG.warn("OpenBLAS on {} runs its generic {} kernel on a CPU with {}: matrix products run several times "
          + "slower. Set {} (for executors: spark.executorEnv.{}) to the CPU's kernel, or add spark.plugins={}",
          where, backend.blasKernel(), backend.cpuIsa(), BlasKernel.VARIABLE, BlasKernel.VARIABLE,
          ClusterProfile.BLAS_KERNEL_PLUGIN);
    }
    if (backend.slowBuild()) {
      LOG.warn("ND4J on {} runs its generic native build on a CPU with {}: element-wise work runs slower. Set "
          + "-D{}={} (for executors: spark.executor.extraJavaOptions), or add spark.plugins={}", where,
          backend.cpuIsa(), NativeBuild.PROPERTY, NativeBuild.AVX2, ClusterProfile.BLAS_KERNEL_PLUGIN);
    }
  }

  /** One report per executor reached, sorted by executor id. */
  private static List<Map<String, String>> executorReports(SparkSession spark) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    int tasks = Math.max(1, jsc.defaultParallelism());
    spark.sparkContext().setJobDescription("spark-vae: ND4J backend of every executor");
    List<HashMap<String, String>> reports;
    try {
      reports = jsc.parallelize(IntStream.range(0, tasks).boxed().toList(), tasks)
          .mapPartitions(ignored -> Collections.singletonList(report()).iterator())
          .collect();
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    Map<String, Map<String, String>> byExecutor = new TreeMap<>();
    reports.forEach(report -> byExecutor.putIfAbsent(report.get("executorId"), report));
    return new ArrayList<>(byExecutor.values());
  }

  /** Runs on an executor. */
  private static HashMap<String, String> report() {
    HashMap<String, String> report = new HashMap<>(Nd4jBackendInfo.current().toMap());
    report.put("executorId", SparkEnv.get().executorId());
    report.put("pid", Long.toString(ProcessHandle.current().pid()));
    try {
      report.put("host", InetAddress.getLocalHost().getHostName());
    } catch (UnknownHostException e) {
      report.put("host", "(unknown host)");
    }
    return report;
  }
}
