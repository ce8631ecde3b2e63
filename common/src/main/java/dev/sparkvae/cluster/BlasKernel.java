package dev.sparkvae.cluster;

import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenBLAS's compute kernel ("core type"): the one a CPU should run, set before OpenBLAS loads, and the one that
 * runs. The CPU jar's OpenBLAS picks its kernel from the CPU model when it loads, and on models newer than itself
 * (recent Xeons) falls back to a generic SSE kernel several times slower, silently. {@link #chooseForThisProcess}
 * sets {@code OPENBLAS_CORETYPE} in the process's own environment to the kernel of the CPU's instruction set
 * (AVX-512: SkylakeX, AVX2: Haswell, or Zen on AMD) unless the user set it; it must run before ND4J loads, which the
 * job sessions and {@code BlasKernelPlugin} on executors do. Linux only; elsewhere nothing is chosen.
 */
public final class BlasKernel {
  /** The variable OpenBLAS reads once, when it loads. */
  public static final String VARIABLE = "OPENBLAS_CORETYPE";

  private static final Logger LOG = LoggerFactory.getLogger(BlasKernel.class);
  private static final Path CPUINFO = Path.of("/proc/cpuinfo");
  private static final Path MAPS = Path.of("/proc/self/maps");
  private static final Set<String> AVX512 = Set.of("skylakex", "cooperlake", "sapphirerapids");
  private static final Set<String> AVX2 = Set.of("haswell", "zen", "excavator");
  private static String chosenHere;

  /** Instruction-set levels that decide the kernel, lowest first. */
  public enum Isa { SSE, AVX, AVX2, AVX512 }

  /**
   * What the CPU reports in {@code /proc/cpuinfo} (its first processor).
   *
   * @param vendor e.g. {@code GenuineIntel}, {@code AuthenticAMD}
   * @param family the CPU family (decimal); AMD Zen is 23 and above
   * @param flags the feature flags, lower case
   */
  public record Cpu(String vendor, int family, Set<String> flags) {
    /** Parses the text of {@code /proc/cpuinfo}; unknown fields stay empty. */
    public static Cpu parse(String cpuinfo) {
      String vendor = "";
      int family = 0;
      Set<String> flags = new LinkedHashSet<>();
      for (String line : cpuinfo.split("\n")) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          if (line.isBlank() && !flags.isEmpty()) {
            break;
          }
          continue;
        }
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        switch (key) {
          case "vendor_id" -> vendor = value;
          case "cpu family" -> family = Integer.parseInt(value);
          case "flags" -> flags.addAll(List.of(value.toLowerCase(Locale.ROOT).split("\\s+")));
          default -> { }
        }
      }
      return new Cpu(vendor, family, flags);
    }

    /** This machine's CPU, or an empty one where {@code /proc/cpuinfo} is not readable. */
    public static Cpu current() {
      try {
        return parse(Files.readString(CPUINFO));
      } catch (IOException | RuntimeException e) {
        return new Cpu("", 0, Set.of());
      }
    }

    /** The highest level whose instructions the CPU has. */
    public Isa isa() {
      if (flags.containsAll(List.of("avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"))) {
        return Isa.AVX512;
      }
      if (flags.containsAll(List.of("avx2", "fma"))) {
        return Isa.AVX2;
      }
      return flags.contains("avx") ? Isa.AVX : Isa.SSE;
    }

    private boolean isAmdZen() {
      return vendor.equals("AuthenticAMD") && family >= 23;
    }
  }

  private BlasKernel() {}

  /**
   * The kernel for a CPU: Zen on AMD Zen with AVX2 (what OpenBLAS picks there itself), SkylakeX with AVX-512,
   * Haswell with AVX2 and FMA; empty below AVX2, where OpenBLAS's own choice stands.
   */
  public static Optional<String> recommended(Cpu cpu) {
    Isa isa = cpu.isa();
    if (isa.compareTo(Isa.AVX2) < 0) {
      return Optional.empty();
    }
    if (cpu.isAmdZen()) {
      return Optional.of("Zen");
    }
    return Optional.of(isa == Isa.AVX512 ? "SkylakeX" : "Haswell");
  }

  /** The instruction-set level a kernel (as OpenBLAS names it) uses; SSE for the generic ones. */
  public static Isa levelOf(String kernel) {
    String name = kernel.toLowerCase(Locale.ROOT);
    if (AVX512.contains(name)) {
      return Isa.AVX512;
    }
    if (AVX2.contains(name)) {
      return Isa.AVX2;
    }
    return name.equals("sandybridge") || name.startsWith("bulldozer") || name.equals("piledriver")
        || name.equals("steamroller") ? Isa.AVX : Isa.SSE;
  }

  /** True when a kernel leaves AVX2 unused on a CPU that has it: the slow generic fallback. */
  public static boolean isFallback(String kernel, Isa cpu) {
    return cpu.compareTo(Isa.AVX2) >= 0 && levelOf(kernel).compareTo(Isa.AVX2) < 0;
  }

  /**
   * Sets {@code OPENBLAS_CORETYPE} in this process's environment to {@link #recommended} for this CPU, unless it
   * is set, or OpenBLAS has already loaded (then it would have no effect; a debug line says so). Safe to call more
   * than once; never throws (where the environment cannot be set, a warning says so and OpenBLAS chooses).
   *
   * @return the variable's value from now on, empty when unset
   */
  public static Optional<String> chooseForThisProcess() {
    Optional<String> set = userSetting();
    if (set.isPresent()) {
      return set;
    }
    Cpu cpu = Cpu.current();
    return recommended(cpu).flatMap(kernel -> choose(kernel, "for this CPU (" + cpu.isa() + ")"));
  }

  /** Sets the variable to {@code kernel} unless it is set or OpenBLAS has loaded; returns its value from now on. */
  static synchronized Optional<String> choose(String kernel, String why) {
    Optional<String> set = userSetting();
    if (set.isPresent()) {
      return set;
    }
    if (chosenHere != null || !running().isEmpty() || !isLinux()) {
      LOG.debug("{} left as it is: chosen before, OpenBLAS already loaded, or not on Linux", VARIABLE);
      return Optional.ofNullable(chosenHere);
    }
    try {
      NativeLibrary.getProcess().getFunction("setenv").invokeInt(new Object[] {VARIABLE, kernel, 0});
    } catch (LinkageError | RuntimeException e) {
      LOG.warn("Cannot set {}={} in this process ({}); OpenBLAS chooses its kernel itself", VARIABLE, kernel,
          e.toString());
      return Optional.empty();
    }
    chosenHere = kernel;
    LOG.info("{}={} {}, set before OpenBLAS loads", VARIABLE, kernel, why);
    return Optional.of(kernel);
  }

  /** The variable as the user set it: its value when this JVM started (Java never sees a later setenv). */
  private static Optional<String> userSetting() {
    return Optional.ofNullable(System.getenv(VARIABLE)).filter(value -> !value.isBlank());
  }

  /**
   * The kernel of every OpenBLAS library loaded in this process (ND4J loads two builds), distinct, in load order;
   * empty when none is loaded yet or the BLAS is not OpenBLAS.
   */
  public static List<String> running() {
    List<String> kernels = new ArrayList<>();
    for (String library : loadedLibraries(".*/libopenblas[^/]*\\.so[.0-9]*")) {
      try {
        String kernel = NativeLibrary.getInstance(library).getFunction("openblas_get_corename")
            .invokeString(new Object[0], false);
        if (kernel != null && !kernels.contains(kernel)) {
          kernels.add(kernel);
        }
      } catch (LinkageError | RuntimeException e) {
        LOG.debug("cannot ask {} for its kernel: {}", library, e.toString());
      }
    }
    return kernels;
  }

  /** The paths of the libraries mapped into this process that match {@code regex}, distinct, in map order. */
  static List<String> loadedLibraries(String regex) {
    Set<String> libraries = new LinkedHashSet<>();
    if (!Files.isReadable(MAPS)) {
      return List.of();
    }
    try {
      for (String line : Files.readAllLines(MAPS)) {
        int slash = line.indexOf('/');
        if (slash >= 0 && line.substring(slash).matches(regex)) {
          libraries.add(line.substring(slash));
        }
      }
    } catch (IOException e) {
      LOG.debug("cannot read {}: {}", MAPS, e.toString());
    }
    return List.copyOf(libraries);
  }

  private static boolean isLinux() {
    return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
  }
}
