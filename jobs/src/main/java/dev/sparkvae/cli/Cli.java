package dev.sparkvae.cli;

import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import dev.sparkvae.runtime.DriverExit;
import dev.sparkvae.training.VaeTraining;
import java.io.File;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * The command line of every job: {@code sparkvae [--cluster NAME] JOB [options]}, one command a job
 * ({@link JobCommand}). Parses, runs the job, prints where its output is, and exits non-zero with one clear line on
 * failure ({@link Failures}). The launcher ({@code submit-scripts/sparkvae.sh}) passes {@code --cluster}; settings
 * come from {@code conf/}.
 */
@Command(name = "sparkvae", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class,
    subcommands = {ImportCommand.class, TrainCommand.class, EncodeCommand.class, ReconstructCommand.class,
        EvaluateCommand.class, PlotCommand.class},
    description = "Train and run variational autoencoders on Apache Spark.")
public final class Cli implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Cli.class);

  @Option(names = "--cluster", paramLabel = "NAME",
      description = "Cluster profile: <conf-dir>/clusters/NAME.conf (Spark master, backend, Spark settings).")
  String cluster;

  @Option(names = "--conf-dir", paramLabel = "DIR", defaultValue = "${env:SPARKVAE_CONF_DIR:-conf}",
      description = "Directory of cluster profiles and job recipes (default: $SPARKVAE_CONF_DIR or ./conf).")
  File confDir;

  PrintWriter out;
  PrintWriter err;
  /** The line a failed job printed, or null. */
  private String failure;

  public static void main(String[] args) {
    Cli cli = new Cli();
    int code = cli.execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    DriverExit.exit(code, cli.failure);
  }

  /** Runs the command line; returns the exit code (0 success, 1 failure, 2 usage error). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return new Cli().execute(out, err, args);
  }

  private int execute(PrintWriter out, PrintWriter err, String... args) {
    this.out = out;
    this.err = err;
    return commandLine(this)
        .setOut(out)
        .setErr(err)
        .setExecutionExceptionHandler((e, line, parsed) -> {
          failure = "sparkvae " + line.getCommandName() + " failed: " + Failures.reason(e);
          err.println(failure);
          LOG.debug("failure", e);
          return 1;
        })
        .execute(args);
  }

  /** The parser of the command line, as every caller must configure it (modes such as fail|skip in any case). */
  static CommandLine commandLine(Cli cli) {
    return new CommandLine(cli).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public Integer call() {
    throw new CommandLine.ParameterException(commandLine(this),
        "Missing job: import, train, encode, reconstruct, evaluate or plot");
  }

  /** The settings of a run: the cluster profile, then {@code config} (or null), then the {@code --set} overrides. */
  Settings settings(File config, List<String> overrides) {
    File clusterFile = cluster == null ? null : new File(new File(confDir, "clusters"), cluster + ".conf");
    if (clusterFile != null && !clusterFile.isFile()) {
      throw new InvalidSettingException("Unknown cluster " + cluster + ": " + clusterFile + " does not exist");
    }
    return Settings.load(clusterFile, config, overrides);
  }

  /** Reports the project version. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() throws Exception {
      return new String[] {"spark-vae " + VaeTraining.versions().getOrDefault("spark-vae", "unknown")};
    }
  }
}
