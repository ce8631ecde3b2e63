package dev.sparkvae.cluster;

import java.util.LinkedHashMap;
import java.util.List;
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
 * @param blasKernel the OpenBLAS kernel running, e.g. {@code SkylakeX}, {@code Haswell}, {@code Prescott} (a generic
 *     one); {@code n/a} when the BLAS is not OpenBLAS
 * @param cpuIsa the highest instruction-set level of the CPU, for {@link #slowKernel()}
 * @param nativeBuild the build of ND4J's native library running ({@link NativeBuild#running}): {@code avx2},
 *     {@code generic}; {@code n/a} when none is loaded (the CUDA backend)
 */
public record Nd4jBackendInfo(String backend, String backendClass, String blasVendor, int ompThreads,
    int blasThreads, int cudaDevices, long maxBytes, long maxPhysicalBytes, String blasKernel,
    BlasKernel.Isa cpuIsa, String nativeBuild) {

  /** Loads ND4J if it is not yet, and reports its backend. */
  public static Nd4jBackendInfo current() {
    String backendClass = Nd4j.getBackend().getClass().getSimpleName();
    Properties env = Nd4j.getExecutioner().getEnvironmentInformation();
    List<String> kernels = BlasKernel.running();
    return new Nd4jBackendInfo(String.valueOf(env.getOrDefault(Nd4jEnvironment.BACKEND_KEY, "unknown")),
        backendClass, String.valueOf(env.getOrDefault(Nd4jEnvironment.BLAS_VENDOR_KEY, "unknown")),
        intOf(env, Nd4jEnvironment.OMP_THREADS_KEY), intOf(env, Nd4jEnvironment.BLAS_THREADS_KEY),
        intOf(env, Nd4jEnvironment.CUDA_NUM_GPUS_KEY), Pointer.maxBytes(), Pointer.maxPhysicalBytes(),
        kernels.isEmpty() ? "n/a" : String.join("/", kernels), BlasKernel.Cpu.current().isa(),
        NativeBuild.running().orElse("n/a"));
  }

  /** True when OpenBLAS runs a generic kernel on a CPU with AVX2 or AVX-512: GEMM several times slower. */
  public boolean slowKernel() {
    return !blasKernel.equals("n/a") && List.of(blasKernel.split("/")).stream()
        .anyMatch(kernel -> BlasKernel.isFallback(kernel, cpuIsa));
  }

  /** True when ND4J's generic native build runs on a CPU with AVX2: element-wise work slower than it could be. */
  public boolean slowBuild() {
    return nativeBuild.equals("generic") && cpuIsa.compareTo(BlasKernel.Isa.AVX2) >= 0;
  }

  /** True when ND4J runs on CUDA. */
  public boolean isCuda() {
    return backend.equalsIgnoreCase("CUDA") || backendClass.contains("Cublas");
  }

  /** One line for logs and messages. */
  public String describe() {
    return String.format("%s backend %s, BLAS %s, %d OMP threads, %d BLAS threads%s, JavaCPP maxbytes %s, "
        + "maxphysicalbytes %s%s%s", backend, backendClass, blasVendor, ompThreads, blasThreads,
        isCuda() ? ", " + cudaDevices + " CUDA devices" : "", gib(maxBytes), gib(maxPhysicalBytes),
        blasKernel.equals("n/a") ? "" : ", OpenBLAS kernel " + blasKernel + " (CPU " + cpuIsa + ")",
        nativeBuild.equals("n/a") ? "" : ", libnd4j build " + nativeBuild);
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
    map.put("blasKernel", blasKernel);
    map.put("cpuIsa", cpuIsa.name());
    map.put("nativeBuild", nativeBuild);
    return map;
  }

  /** The inverse of {@link #toMap()}. */
  public static Nd4jBackendInfo fromMap(Map<String, String> map) {
    return new Nd4jBackendInfo(map.get("backend"), map.get("backendClass"), map.get("blasVendor"),
        Integer.parseInt(map.get("ompThreads")), Integer.parseInt(map.get("blasThreads")),
        Integer.parseInt(map.get("cudaDevices")), Long.parseLong(map.get("maxBytes")),
        Long.parseLong(map.get("maxPhysicalBytes")), map.get("blasKernel"), BlasKernel.Isa.valueOf(map.get("cpuIsa")),
        map.get("nativeBuild"));
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
