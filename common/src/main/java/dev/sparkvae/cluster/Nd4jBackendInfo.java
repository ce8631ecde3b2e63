package dev.sparkvae.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.environment.Nd4jEnvironment;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The ND4J backend this JVM actually loaded, with its BLAS and thread settings and off-heap limits, as reported by
 * ND4J ({@code Nd4j.getExecutioner().getEnvironmentInformation()}) and JavaCPP.
 *
 * @param backend {@code CPU} or {@code CUDA} (ND4J's name)
 * @param backendClass the backend's class, e.g. {@code CpuBackend}, {@code JCublasBackend}
 * @param blasVendor e.g. {@code OPENBLAS}, {@code CUBLAS}
 * @param ompThreads ND4J's native (OpenMP) threads
 * @param blasThreads the BLAS library's threads
 * @param cudaDevices CUDA devices ND4J sees (0 on the CPU backend)
 * @param maxBytes JavaCPP's limit on native allocations, bytes
 * @param maxPhysicalBytes JavaCPP's limit on the process's physical memory, bytes
 */
public record Nd4jBackendInfo(String backend, String backendClass, String blasVendor, int ompThreads,
    int blasThreads, int cudaDevices, long maxBytes, long maxPhysicalBytes) {

  /** Loads ND4J if it is not yet, and reports its backend. */
  public static Nd4jBackendInfo current() {
    String backendClass = Nd4j.getBackend().getClass().getSimpleName();
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    return new Nd4jBackendInfo(String.valueOf(env.getOrDefault(Nd4jEnvironment.BACKEND_KEY, "unknown")),
        backendClass, String.valueOf(env.getOrDefault(Nd4jEnvironment.BLAS_VENDOR_KEY, "unknown")),
        intOf(env, Nd4jEnvironment.OMP_THREADS_KEY), intOf(env, Nd4jEnvironment.BLAS_THREADS_KEY),
        intOf(env, Nd4jEnvironment.CUDA_NUM_GPUS_KEY), Pointer.maxBytes(), Pointer.maxPhysicalBytes());
  }

  /** True when ND4J runs on CUDA. */
  public boolean isCuda() {
    return backend.equalsIgnoreCase("CUDA") || backendClass.contains("Cublas");
  }

  /** One line for logs and messages. */
  public String describe() {
    return String.format("%s backend %s, BLAS %s, %d OMP threads, %d BLAS threads%s, JavaCPP maxbytes %s, "
        + "maxphysicalbytes %s", backend, backendClass, blasVendor, ompThreads, blasThreads,
        isCuda() ? ", " + cudaDevices + " CUDA devices" : "", gib(maxBytes), gib(maxPhysicalBytes));
  }

  /** As strings, to cross from executors to the driver whatever the serializer. */
  public Map<String, String> toMap() {
    Map<String, String> map = new LinkedHashMap<>();
    map.put("backend", backend);
    map.put("backendClass", backendClass);
    map.put("blasVendor", blasVendor);
    map.put("ompThreads", Integer.toString(ompThreads));
    map.put("blasThreads", Integer.toString(blasThreads));
    map.put("cudaDevices", Integer.toString(cudaDevices));
    map.put("maxBytes", Long.toString(maxBytes));
    map.put("maxPhysicalBytes", Long.toString(maxPhysicalBytes));
    return map;
  }

  /** The inverse of {@link #toMap()}. */
  public static Nd4jBackendInfo fromMap(Map<String, String> map) {
    return new Nd4jBackendInfo(map.get("backend"), map.get("backendClass"), map.get("blasVendor"),
        Integer.parseInt(map.get("ompThreads")), Integer.parseInt(map.get("blasThreads")),
        Integer.parseInt(map.get("cudaDevices")), Long.parseLong(map.get("maxBytes")),
        Long.parseLong(map.get("maxPhysicalBytes")));
  }

  private static int intOf(Properties env, String key) {
    Object value = env.get(key);
    if (value instanceof Number) {
      return ((Number) value).intValue();
    }
    try {
      return value == null ? 0 : Integer.parseInt(value.toString().trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String gib(long bytes) {
    return String.format("%.1f GiB", bytes / (double) (1L << 30));
  }
}
