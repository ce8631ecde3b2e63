package dev.sparkvae.runtime;

import dev.sparkvae.cluster.CpuNatives;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * Chooses ND4J's native build and OpenBLAS's kernel for the CPU of every executor, and of the driver, when Spark
 * starts them: before any task can load ND4J ({@link CpuNatives#chooseForThisProcess}). The CPU cluster profiles
 * add it to {@code spark.plugins}; in your own Spark application, add
 * {@code spark.plugins=dev.sparkvae.runtime.BlasKernelPlugin}.
 * A user's {@code OPENBLAS_CORETYPE} (e.g. {@code spark.executorEnv.OPENBLAS_CORETYPE}) or
 * {@code -Dorg.bytedeco.javacpp.platform.extension} always wins.
 */
public final class BlasKernelPlugin implements SparkPlugin {
  @Override
  public DriverPlugin driverPlugin() {
    return new DriverPlugin() {
      @Override
      public Map<String, String> init(SparkContext sc, PluginContext context) {
        CpuNatives.chooseForThisProcess();
        return Map.of();
      }
    };
  }

  @Override
  public ExecutorPlugin executorPlugin() {
    return new ExecutorPlugin() {
      @Override
      public void init(PluginContext context, Map<String, String> extraConf) {
        CpuNatives.chooseForThisProcess();
      }
    };
  }
}
