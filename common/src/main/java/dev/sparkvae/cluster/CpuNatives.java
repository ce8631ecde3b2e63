package dev.sparkvae.cluster;

/**
 * The CPU-specific native code of this process, chosen before ND4J loads: ND4J's native build
 * ({@link NativeBuild}) and OpenBLAS's kernel ({@link BlasKernel}). Call it first in any JVM that will run ND4J
 * (the job sessions, {@code BlasKernelPlugin} on executors, the Spark ML stages do); after ND4J has loaded it does
 * nothing. Never throws.
 */
public final class CpuNatives {
  private CpuNatives() {}

  /** Chooses both for this process's CPU, unless the user set them. */
  public static void chooseForThisProcess() {
    NativeBuild.chooseForThisProcess();
    BlasKernel.chooseForThisProcess();
  }
}
