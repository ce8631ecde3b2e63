package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a job's driver wrote (stdout and stderr): spark-submit's output in client mode, the ApplicationMaster
 * container's logs in YARN cluster mode. Reads the driver's pid and every executor's id and pid from the ND4J backend
 * lines each job logs at start.
 */
record DriverLog(String name, String text) {
  private static final Pattern EXECUTOR = Pattern.compile("ND4J on executor (\\d+) \\(pid (\\d+) on [^)]*\\): CPU "
      + "backend CpuBackend, BLAS OPENBLAS, 1 OMP threads");
  private static final Pattern DRIVER = Pattern.compile("ND4J on the driver \\(pid (\\d+)\\)");

  /** The stdout and stderr of a YARN container's log directory. */
  static DriverLog ofContainer(String name, Path containerLogs) throws IOException {
    return new DriverLog(name, Files.readString(containerLogs.resolve("stdout")) + "\n"
        + Files.readString(containerLogs.resolve("stderr")));
  }

  /** Executor id -> pid, from the backend lines. */
  Map<String, String> executorPids() {
    Map<String, String> pidByExecutor = new TreeMap<>();
    Matcher executors = EXECUTOR.matcher(text);
    while (executors.find()) {
      pidByExecutor.put(executors.group(1), executors.group(2));
    }
    return pidByExecutor;
  }

  String driverPid() {
    Matcher driver = DRIVER.matcher(text);
    assertThat(driver.find()).as("the driver's backend line in " + name + ":\n" + text).isTrue();
    return driver.group(1);
  }

  /**
   * Asserts that the executors {@code ids} logged their backends from as many different JVMs, neither the driver's
   * nor this test's.
   */
  void assertSeparateExecutorJvms(String... ids) {
    Map<String, String> pidByExecutor = executorPids();
    String driver = driverPid();
    System.out.printf("%s: driver pid %s, executor pids %s%n", name, driver, pidByExecutor);
    assertThat(pidByExecutor).as("executor id -> pid in " + name).containsOnlyKeys(ids);
    Set<String> pids = new TreeSet<>(pidByExecutor.values());
    assertThat(pids).as("executor pids").hasSize(ids.length).doesNotContain(driver,
        Long.toString(ProcessHandle.current().pid()));
  }
}
