package dev.sparkvae.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * How the driver's main ends: with the JVM's exit everywhere but in YARN's ApplicationMaster (the system properties
 * it sets are given here, as it sets them), where a success returns and a failure throws with the job's failure
 * line.
 */
class DriverExitTest {
  private final List<Integer> exits = new ArrayList<>();

  @Test
  void outsideTheApplicationMasterTheJvmExitsWithTheStatus() {
    DriverExit.exit(0, null, new Properties(), exits::add);
    DriverExit.exit(1, "sparkvae train failed: no input", properties("spark.master", "yarn",
        "spark.submit.deployMode", "client"), exits::add);
    DriverExit.exit(2, null, properties("spark.master", "spark://127.0.0.1:7077", "spark.submit.deployMode",
        "cluster"), exits::add);
    assertThat(exits).containsExactly(0, 1, 2);
  }

  @Test
  void inTheApplicationMasterASuccessReturnsAndAFailureThrows() {
    Properties master = properties("spark.master", "yarn", "spark.submit.deployMode", "cluster", "spark.yarn.app.id",
        "application_1764685861234_0002");

    DriverExit.exit(0, null, master, exits::add);
    assertThatThrownBy(() -> DriverExit.exit(1, "sparkvae train failed: no input", master, exits::add))
        .isInstanceOf(DriverExit.JobFailedException.class).hasMessage("sparkvae train failed: no input");
    assertThatThrownBy(() -> DriverExit.exit(2, null, master, exits::add))
        .isInstanceOf(DriverExit.JobFailedException.class)
        .hasMessage("spark-vae exited with status 2 (its reason is on the driver's stderr)");
    assertThat(exits).as("no System.exit in the ApplicationMaster").isEmpty();
  }

  private static Properties properties(String... keysAndValues) {
    Properties properties = new Properties();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      properties.setProperty(keysAndValues[i], keysAndValues[i + 1]);
    }
    return properties;
  }
}
