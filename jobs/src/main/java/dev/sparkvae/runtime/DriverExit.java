package dev.sparkvae.runtime;

import java.util.Properties;
import java.util.function.IntConsumer;

/**
 * Ends the driver's main with a job's exit status. Outside YARN's ApplicationMaster that is {@code System.exit}. In
 * YARN cluster mode the driver's main runs inside the ApplicationMaster, which reports the application FAILED when
 * the user class calls {@code System.exit}, even with status 0: there a success returns, and a failure throws, so
 * that YARN reports FAILED with the job's failure line in its diagnostics (which spark-submit prints).
 */
public final class DriverExit {
  private DriverExit() {}

  /**
   * Exits with {@code status}, or, in the ApplicationMaster, returns for 0 and throws for anything else.
   *
   * @param failure the line the job printed when it failed, or null: YARN's diagnostics show it
   * @throws JobFailedException in the ApplicationMaster, for a non-zero status
   */
  public static void exit(int status, String failure) {
    exit(status, failure, System.getProperties(), System::exit);
  }

  /** {@link #exit(int, String)} with the JVM's system properties and its exit given. */
  static void exit(int status, String failure, Properties system, IntConsumer jvmExit) {
    if (!inYarnApplicationMaster(system)) {
      jvmExit.accept(status);
    } else if (status != 0) {
      throw new JobFailedException(status, failure);
    }
  }

  /** True in a YARN cluster-mode driver: the ApplicationMaster sets these before it starts the user class. */
  private static boolean inYarnApplicationMaster(Properties system) {
    return system.getProperty("spark.yarn.app.id") != null && "yarn".equals(system.getProperty("spark.master"))
        && "cluster".equals(system.getProperty("spark.submit.deployMode"));
  }

  /** A job that ended with a non-zero status in the ApplicationMaster: its failure line, or the status. */
  public static final class JobFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    JobFailedException(int status, String failure) {
      super(failure != null ? failure
          : "spark-vae exited with status " + status + " (its reason is on the driver's stderr)");
    }
  }
}
