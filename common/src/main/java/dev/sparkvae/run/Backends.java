package dev.sparkvae.run;

import org.nd4j.linalg.factory.Nd4j;

/** The ND4J backend of this JVM, for run summaries and logs. */
public final class Backends {
  private Backends() {}

  /** The backend class, e.g. {@code org.nd4j.linalg.cpu.nativecpu.CpuBackend}; loads ND4J when it is not yet. */
  public static String nd4jBackend() {
    return Nd4j.getBackend().getClass().getName();
  }

  /** The BLAS library ND4J calls, e.g. {@code OPENBLAS}, {@code MKL} or {@code CUBLAS}. */
  public static String blasVendor() {
    return Nd4j.factory().blas().getBlasVendor().name();
  }
}
