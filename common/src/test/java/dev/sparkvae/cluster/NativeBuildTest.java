package dev.sparkvae.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkvae.cluster.BlasKernel.Cpu;
import dev.sparkvae.cluster.BlasKernel.Isa;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NativeBuildTest {
  private static Cpu cpu(String flags) {
    return new Cpu("GenuineIntel", 6, Set.of(flags.split(" ")));
  }

  @Test
  void theAvx2BuildOnlyWhereTheCpuHasAvx2AndFmaAndTheBuildIsThere() {
    assertThat(NativeBuild.recommended(cpu("sse2 avx avx2 fma"), true)).isEqualTo("-avx2");
    assertThat(NativeBuild.recommended(
        cpu("sse2 avx avx2 fma avx512f avx512cd avx512bw avx512dq avx512vl"), true)).isEqualTo("-avx2");
    assertThat(NativeBuild.recommended(cpu("sse2 avx avx2"), true)).isEmpty();
    assertThat(NativeBuild.recommended(cpu("sse2 sse4_2 avx"), true)).isEmpty();
    assertThat(NativeBuild.recommended(cpu("sse2 avx avx2 fma"), false)).isEmpty();
  }

  @Test
  void theBuildChosenForThisCpuLoadsAndComputesRightResults() throws Exception {
    assumeTrue(Cpu.current().isa().compareTo(Isa.AVX2) >= 0 && System.getProperty(NativeBuild.PROPERTY) == null,
        "a CPU with AVX2");
    BlasKernelProbe.Result chosen = BlasKernelProbe.run(List.of(), Map.of(), "choose");
    assertThat(chosen.build()).isEqualTo("avx2");
    assertThat(chosen.error()).isLessThan(1e-5);
  }

  @Test
  void theGenericBuildWhenTheUserAsksForItComputesRightResults() throws Exception {
    BlasKernelProbe.Result generic = BlasKernelProbe.run(List.of("-D" + NativeBuild.PROPERTY + "="), Map.of(),
        "choose");
    assertThat(generic.build()).isEqualTo("generic");
    assertThat(generic.error()).isLessThan(1e-5);
  }
}
