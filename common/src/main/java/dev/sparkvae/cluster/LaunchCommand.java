package dev.sparkvae.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import dev.sparkvae.io.JsonFiles;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * The command that runs a job with a cluster profile: {@code spark-submit} with the application jar for the
 * profile's backend, or, for a {@code local[...]} master, one JVM with embedded Spark from the build's classpath.
 * {@code submit-scripts/sparkvae.sh} runs {@link #main} and executes what it prints; {@link #airflowPlan()} gives
 * the same submission as SparkSubmitOperator arguments.
 *
 * <p>Settings are read as the job reads them: defaults &lt; the profile &lt; the job's {@code --config} &lt; its
 * {@code --set}s, so {@code --set cluster.executor.memory=16g} changes the submission too.
 */
public final class LaunchCommand {
  private final Options options;
  private final ClusterProfile profile;

  /**
   * What the launcher knows about the checkout and the machine.
   *
   * @param checkout the spark-vae checkout (conf/, jobs/target/)
   * @param cluster the profile name: {@code <confDir>/clusters/NAME.conf}
   * @param confDir conf/ on this machine
   * @param sparkHome SPARK_HOME, or "" when unset
   * @param java the java executable for local runs
   * @param javaOptions JVM options of local runs before the profile's (the Java 17 --add-opens)
   * @param extraJavaOptions JVM options of local runs after the profile's ($SPARKVAE_JAVA_OPTS: they win)
   * @param classpath the classpath of local runs
   * @param checkFiles whether jars and SPARK_HOME must exist (false for --dry-run)
   * @param jobArgs the job and its arguments
   */
  public record Options(File checkout, String cluster, File confDir, String sparkHome, String java,
      List<String> javaOptions, List<String> extraJavaOptions, String classpath, boolean checkFiles,
      List<String> jobArgs) {}

  public LaunchCommand(Options options) {
    this.options = options;
    File clusterFile = new File(new File(options.confDir(), "clusters"), options.cluster() + ".conf");
    if (!clusterFile.isFile()) {
      throw new InvalidSettingException("Unknown cluster " + options.cluster() + ": " + clusterFile
          + " does not exist");
    }
    List<String> overrides = new ArrayList<>();
    File config = jobSettings(options.jobArgs(), overrides);
    this.profile = ClusterProfile.from(Settings.load(clusterFile, config, overrides));
  }

  public ClusterProfile profile() {
    return profile;
  }

  /** The whole command, program first. */
  public List<String> command() {
    return profile.isLocal() ? localCommand() : sparkSubmitCommand();
  }

  private List<String> localCommand() {
    List<String> command = new ArrayList<>(List.of("env"));
    profile.taskEnvironment().forEach((key, value) -> command.add(key + "=" + value));
    command.add(options.java());
    command.addAll(options.javaOptions());
    if (!profile.driverMemory().isEmpty()) {
      command.add("-Xmx" + profile.driverMemory());
    }
    command.addAll(profile.driverJavaOptions());
    command.addAll(options.extraJavaOptions());
    command.add(logConfigOption(options.confDir().getAbsolutePath()));
    command.addAll(List.of("-cp", options.classpath(), ClusterProfile.MAIN_CLASS));
    command.addAll(applicationArgs());
    return command;
  }

  private List<String> sparkSubmitCommand() {
    if (options.checkFiles() && options.sparkHome().isEmpty()) {
      throw new InvalidSettingException("Cluster profile " + profile.name() + " submits to " + profile.master()
          + " with spark-submit: set SPARK_HOME to a Spark 3.5 installation (or use submit-scripts/"
          + "standalone-cluster.sh's, jobs/spark-home/target/spark-home)");
    }
    String sparkSubmit = options.sparkHome().isEmpty() ? "spark-submit"
        : new File(options.sparkHome(), "bin/spark-submit").getPath();
    // The environment reaches the driver in client mode (the executors get theirs through spark.executorEnv).
    List<String> command = new ArrayList<>(List.of("env"));
    profile.taskEnvironment().forEach((key, value) -> command.add(key + "=" + value));
    command.add(sparkSubmit);
    command.addAll(profile.sparkSubmitOptions(appName(), options.checkout(), List.of(logConfigOption(driverConfDir()))));
    command.add(applicationJar());
    command.addAll(applicationArgs());
    return command;
  }

  /**
   * The submission as keyword arguments of Airflow's SparkSubmitOperator (plus the master and deploy mode, which
   * Airflow takes from its Spark connection), with the arguments that select the profile; a DAG appends the job
   * and its options to {@code application_args_prefix}.
   */
  public ObjectNode airflowPlan() {
    ObjectNode plan = JsonFiles.MAPPER.createObjectNode();
    plan.put("profile", profile.name());
    plan.put("master", profile.master());
    plan.put("deploy_mode", profile.deployMode());
    plan.put("application", applicationJar());
    plan.put("java_class", ClusterProfile.MAIN_CLASS);
    ObjectNode conf = plan.putObject("conf");
    List<String> submit = profile.sparkSubmitOptions(appName(), options.checkout(),
        List.of(logConfigOption(driverConfDir())));
    for (int i = 0; i < submit.size(); i += 2) {
      String flag = submit.get(i);
      String value = submit.get(i + 1);
      switch (flag) {
        case "--conf" -> conf.put(value.substring(0, value.indexOf('=')), value.substring(value.indexOf('=') + 1));
        case "--driver-memory", "--executor-memory", "--files" -> plan.put(flag.substring(2).replace('-', '_'), value);
        case "--executor-cores", "--num-executors", "--total-executor-cores" ->
            plan.put(flag.substring(2).replace('-', '_'), Integer.parseInt(value));
        default -> { } // master, deploy mode, name and class are above or set by the DAG
      }
    }
    profileArgs().forEach(plan.putArray("application_args_prefix")::add);
    return plan;
  }

  /** The arguments that select the profile on the driver. */
  private List<String> profileArgs() {
    return List.of("--cluster", options.cluster(), "--conf-dir", driverConfDir());
  }

  /** The profile's arguments, then the job and its arguments. */
  private List<String> applicationArgs() {
    List<String> args = new ArrayList<>(profileArgs());
    args.addAll(options.jobArgs());
    return args;
  }

  private String appName() {
    return options.jobArgs().isEmpty() ? "spark-vae" : "spark-vae " + options.jobArgs().get(0);
  }

  private String driverConfDir() {
    return profile.confDir().isEmpty() ? options.confDir().getAbsolutePath() : profile.confDir();
  }

  private static String logConfigOption(String confDir) {
    return "-Dlog4j.configurationFile=" + confDir + "/log4j2.properties";
  }

  /** The profile's jar, or the one this checkout built for the profile's backend. */
  private String applicationJar() {
    if (!profile.applicationJar().isEmpty()) {
      return profile.applicationJar();
    }
    String backend = profile.backend().key();
    File jar = new File(options.checkout(), "jobs/target/spark-vae-jobs-" + version() + "-" + backend + ".jar");
    if (options.checkFiles() && !jar.isFile()) {
      throw new InvalidSettingException(String.format("Cluster profile %s needs the %s jar, which is not built: %s "
          + "does not exist; build it with ./mvnw -B%s package -DskipTests", profile.name(),
          backend.toUpperCase(java.util.Locale.ROOT), jar, profile.backend() == ClusterProfile.Backend.GPU
              ? " -Pgpu" : ""));
    }
    return jar.getAbsolutePath();
  }

  static String version() {
    Properties properties = new Properties();
    try (InputStream in = LaunchCommand.class.getResourceAsStream("/dev/sparkvae/versions.properties")) {
      properties.load(in);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("dev/sparkvae/versions.properties is missing from the classpath", e);
    }
    return properties.getProperty("spark-vae");
  }

  /**
   * The job's {@code --config FILE} (or null) and {@code --set key=value}s (added to {@code overrides}), read the
   * way picocli reads them ({@code --opt value} or {@code --opt=value}).
   */
  static File jobSettings(List<String> jobArgs, List<String> overrides) {
    File config = null;
    for (int i = 0; i < jobArgs.size(); i++) {
      String arg = jobArgs.get(i);
      for (String option : List.of("--config", "--set")) {
        String value = null;
        if (arg.equals(option) && i + 1 < jobArgs.size()) {
          value = jobArgs.get(++i);
        } else if (arg.startsWith(option + "=")) {
          value = arg.substring(option.length() + 1);
        }
        if (value != null && option.equals("--config")) {
          config = new File(value);
        } else if (value != null) {
          overrides.add(value);
        }
      }
    }
    return config;
  }

  /**
   * Prints the command NUL-terminated argument by argument (or, with {@code --airflow}, the Airflow plan as JSON).
   * Arguments: {@code --checkout DIR --cluster NAME [--conf-dir DIR] [--spark-home DIR] [--java PATH]
   * [--java-options OPTS] [--extra-java-options OPTS] [--classpath CP] [--dry-run] [--airflow] [--] JOB ARGS...}.
   * Exit code 1 with one line on stderr for an invalid profile or a missing jar, 2 for a usage error.
   */
  public static void main(String[] args) {
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    try {
      Parsed parsed = Parsed.of(args);
      LaunchCommand launch = new LaunchCommand(parsed.options);
      if (parsed.airflow) {
        out.println(JsonFiles.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(launch.airflowPlan()));
      } else {
        for (String part : launch.command()) {
          out.print(part);
          out.print('\0');
        }
      }
      out.flush();
    } catch (UsageError e) {
      System.err.println("sparkvae.sh: " + e.getMessage());
      System.exit(2);
    } catch (InvalidSettingException | IOException e) {
      System.err.println("sparkvae.sh: " + e.getMessage());
      System.exit(1);
    }
  }

  private static final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;
    UsageError(String message) {
      super(message);
    }
  }

  private record Parsed(Options options, boolean airflow) {
    static Parsed of(String[] args) {
      File checkout = null;
      String cluster = null;
      File confDir = null;
      String sparkHome = "";
      String java = "java";
      String classpath = "";
      List<String> javaOptions = List.of();
      List<String> extraJavaOptions = List.of();
      boolean dryRun = false;
      boolean airflow = false;
      int i = 0;
      for (; i < args.length && args[i].startsWith("--"); i++) {
        String flag = args[i];
        if (flag.equals("--")) {
          i++;
          break;
        }
        if (flag.equals("--dry-run") || flag.equals("--airflow")) {
          dryRun |= flag.equals("--dry-run");
          airflow |= flag.equals("--airflow");
          continue;
        }
        if (i + 1 >= args.length) {
          throw new UsageError(flag + " needs a value");
        }
        String value = args[++i];
        switch (flag) {
          case "--checkout" -> checkout = new File(value);
          case "--cluster" -> cluster = value;
          case "--conf-dir" -> confDir = new File(value);
          case "--spark-home" -> sparkHome = value;
          case "--java" -> java = value;
          case "--classpath" -> classpath = value;
          case "--java-options" -> javaOptions = words(value);
          case "--extra-java-options" -> extraJavaOptions = words(value);
          default -> throw new UsageError("unknown option " + flag);
        }
      }
      if (checkout == null || cluster == null) {
        throw new UsageError("--checkout and --cluster are required");
      }
      List<String> jobArgs = Arrays.asList(args).subList(i, args.length);
      return new Parsed(new Options(checkout, cluster, confDir == null ? new File(checkout, "conf") : confDir,
          sparkHome, java, javaOptions, extraJavaOptions, classpath, !dryRun && !airflow, List.copyOf(jobArgs)),
          airflow);
    }

    private static List<String> words(String value) {
      return value.isBlank() ? List.of() : List.of(value.trim().split("\\s+"));
    }
  }
}
