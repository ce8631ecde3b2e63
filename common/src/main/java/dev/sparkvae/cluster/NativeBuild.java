package dev.sparkvae.cluster;

import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which build of ND4J's native library (libnd4j) a CPU runs. The CPU jar carries two: the generic x86-64 build and
 * one compiled for AVX2 and FMA, whose element-wise ops, reductions and updaters (most of a training step beside
 * its matrix products) run faster. JavaCPP loads an extension build whenever one is on the class path, whatever the
 * CPU, and on a CPU without AVX2 that build dies of an illegal instruction. {@link #chooseForThisProcess} therefore
 * always sets JavaCPP's {@value #PROPERTY} before ND4J loads: {@code -avx2} on CPUs with AVX2 and FMA, {@code ""}
 * (the generic build) otherwise, unless the user set it. The job sessions and {@code BlasKernelPlugin} on executors
 * call it, beside {@link BlasKernel#chooseForThisProcess}.
 *
 * <p>Danger: in your own Spark code on a CPU without AVX2, ND4J must not load before this runs (add
 * {@code spark.plugins=dev.sparkvae.runtime.BlasKernelPlugin}, or pass {@code -D}{@value #PROPERTY}{@code =}).
 */
public final class NativeBuild {
  /** JavaCPP's choice of build, read when ND4J loads its native library. */
  public static final String PROPERTY = "org.bytedeco.javacpp.platform.extension";
  /** The build for AVX2 and FMA, as JavaCPP names its extension. */
  public static final String AVX2 = "-avx2";

  private static final Logger LOG = LoggerFactory.getLogger(NativeBuild.class);
  private static final String LIBRARY = "libjnind4jcpu.so";
  private static final String PLATFORM = "linux-x86_64";
  private static final String BINDINGS = "org/nd4j/linalg/cpu/nativecpu/bindings/";

  private NativeBuild() {}

  /**
   * The build for a CPU: {@link #AVX2} when it has AVX2 and FMA (AVX-512 CPUs included) and that build is at hand,
   * otherwise {@code ""}, the generic build.
   */
  public static String recommended(BlasKernel.Cpu cpu, boolean avx2BuildAvailable) {
    return avx2BuildAvailable && cpu.isa().compareTo(BlasKernel.Isa.AVX2) >= 0 ? AVX2 : "";
  }

  /**
   * Sets {@value #PROPERTY} to {@link #recommended} for this CPU, unless it is set or ND4J's native library has
   * loaded (then it would have no effect). Safe to call more than once; never throws.
   *
   * @return the property's value from now on
   */
  public static synchronized String chooseForThisProcess() {
    String set = System.getProperty(PROPERTY);
    if (set != null) {
      return set;
    }
    if (running().isPresent()) {
      LOG.debug("{} left unset: ND4J's native library has already loaded", PROPERTY);
      return "";
    }
    BlasKernel.Cpu cpu = BlasKernel.Cpu.current();
    boolean available = NativeBuild.class.getClassLoader().getResource(
        BINDINGS + PLATFORM + AVX2 + "/" + LIBRARY) != null;
    String build = recommended(cpu, available);
    System.setProperty(PROPERTY, build);
    LOG.info("{}={} for this CPU ({}{}), set before ND4J loads", PROPERTY, build, cpu.isa(),
        available ? "" : "; no AVX2 build on the class path");
    return build;
  }

  /**
   * The build of ND4J's native library loaded in this process: {@code avx2}, {@code generic}, or the name of another
   * extension; empty when none is loaded yet (or where the process's mapped libraries cannot be read).
   */
  public static Optional<String> running() {
    List<String> loaded = BlasKernel.loadedLibraries(".*/" + LIBRARY.replace(".", "\\."));
    if (loaded.isEmpty()) {
      return Optional.empty();
    }
    String path = loaded.get(0);
    String directory = path.substring(0, path.lastIndexOf('/'));
    String name = directory.substring(directory.lastIndexOf('/') + 1);
    return Optional.of(name.startsWith(PLATFORM + "-") ? name.substring(PLATFORM.length() + 1) : "generic");
  }
}
