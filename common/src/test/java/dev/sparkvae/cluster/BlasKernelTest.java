package dev.sparkvae.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkvae.cluster.BlasKernel.Cpu;
import dev.sparkvae.cluster.BlasKernel.Isa;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BlasKernelTest {
  private static final String AVX512 = "fpu sse2 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl";

  private static Cpu cpu(String vendor, int family, String flags) {
    return Cpu.parse("processor\t: 0\nvendor_id\t: " + vendor + "\ncpu family\t: " + family
        + "\nmodel name\t: some CPU\nflags\t\t: " + flags + "\n\nprocessor\t: 1\nflags\t\t: sse2\n");
  }

  @Test
  void choosesTheKernelOfTheInstructionSet() {
    assertThat(BlasKernel.recommended(cpu("GenuineIntel", 6, AVX512))).contains("SkylakeX");
    assertThat(BlasKernel.recommended(cpu("GenuineIntel", 6, "sse2 avx avx2 fma"))).contains("Haswell");
    assertThat(BlasKernel.recommended(cpu("AuthenticAMD", 25, AVX512))).contains("Zen");
    assertThat(BlasKernel.recommended(cpu("AuthenticAMD", 23, "sse2 avx avx2 fma"))).contains("Zen");
    assertThat(BlasKernel.recommended(cpu("GenuineIntel", 6, "sse2 avx avx2"))).isEmpty();
    assertThat(BlasKernel.recommended(cpu("GenuineIntel", 6, "sse2 sse4_2 avx"))).isEmpty();
    assertThat(BlasKernel.recommended(cpu("GenuineIntel", 6, "avx512f avx2 fma"))).contains("Haswell");
  }

  @Test
  void readsTheFirstProcessorOfCpuinfo() {
    Cpu parsed = cpu("GenuineIntel", 6, AVX512);
    assertThat(parsed.vendor()).isEqualTo("GenuineIntel");
    assertThat(parsed.family()).isEqualTo(6);
    assertThat(parsed.flags()).contains("avx512vl").doesNotContain("sse2 avx");
    assertThat(parsed.isa()).isEqualTo(Isa.AVX512);
    assertThat(cpu("GenuineIntel", 6, "avx2  fma").flags()).isEqualTo(Set.of("avx2", "fma"));
  }

  @Test
  void aGenericKernelOnAnAvx2CpuIsTheSlowFallback() {
    assertThat(BlasKernel.isFallback("Prescott", Isa.AVX512)).isTrue();
    assertThat(BlasKernel.isFallback("Nehalem", Isa.AVX2)).isTrue();
    assertThat(BlasKernel.isFallback("Sandybridge", Isa.AVX2)).isTrue();
    assertThat(BlasKernel.isFallback("Zen", Isa.AVX512)).isFalse();
    assertThat(BlasKernel.isFallback("SkylakeX", Isa.AVX512)).isFalse();
    assertThat(BlasKernel.isFallback("Prescott", Isa.AVX)).isFalse();
  }

  @Test
  void theKernelChosenForThisCpuRunsAndComputesRightProducts() throws Exception {
    Optional<String> expected = BlasKernel.recommended(Cpu.current());
    assumeTrue(expected.isPresent() && System.getenv(BlasKernel.VARIABLE) == null,
        "a CPU with AVX2 and no OPENBLAS_CORETYPE set");
    BlasKernelProbe.Result probe = probe(Map.of(), "choose");
    assertThat(probe.kernel()).isEqualTo(expected.get());
    assertThat(probe.error()).isLessThan(1e-5);
  }

  @Test
  void aKernelChosenInProcessOverridesOpenBlasOwnChoice() throws Exception {
    assumeTrue(Cpu.current().isa().compareTo(Isa.AVX2) >= 0 && System.getenv(BlasKernel.VARIABLE) == null,
        "a CPU with AVX2, where OpenBLAS itself never picks Sandybridge, and no OPENBLAS_CORETYPE set");
    assertThat(probe(Map.of(), "choose", "Sandybridge").kernel()).isEqualTo("Sandybridge");
  }

  @Test
  void everyKernelThisCpuCanRunComputesRightProducts() throws Exception {
    Isa isa = Cpu.current().isa();
    List<String> kernels = new ArrayList<>(List.of("Prescott"));
    if (isa.compareTo(Isa.AVX) >= 0) {
      kernels.add("Sandybridge");
    }
    if (isa.compareTo(Isa.AVX2) >= 0) {
      kernels.addAll(List.of("Haswell", "Zen"));
    }
    if (isa == Isa.AVX512) {
      kernels.add("SkylakeX");
    }
    for (String kernel : kernels) {
      BlasKernelProbe.Result probe = probe(Map.of(BlasKernel.VARIABLE, kernel));
      assertThat(probe.kernel()).as("kernel").isEqualTo(kernel);
      assertThat(probe.error()).as("relative error with " + kernel).isLessThan(1e-5);
    }
  }

  @Test
  void aKernelSetByTheUserIsKept() {
    assumeTrue(System.getenv(BlasKernel.VARIABLE) != null, "OPENBLAS_CORETYPE set");
    assertThat(BlasKernel.chooseForThisProcess()).contains(System.getenv(BlasKernel.VARIABLE));
  }

  private static BlasKernelProbe.Result probe(Map<String, String> env, String... args) throws Exception {
    return BlasKernelProbe.run(List.of(), env, args);
  }
}
