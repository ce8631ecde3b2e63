package dev.sparkvae.cli;

import dev.sparkvae.cluster.ClusterProfile;
import dev.sparkvae.config.Settings;
import dev.sparkvae.jobs.JobOptions;
import dev.sparkvae.jobs.JobResult;
import dev.sparkvae.runtime.ContainerMemoryKills;
import dev.sparkvae.runtime.SparkSessions;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The command of a job: the options every job takes ({@code --config}, {@code --set}, {@code --summary}), the job's
 * own options (declared beside the job), and the run: settings checked before any work, a Spark session, the job as
 * a {@link JobRun}, its result's lines on stdout.
 *
 * @param <O> the job's options
 */
abstract class JobCommand<O extends JobOptions> implements Callable<Integer> {
  /** Builds and runs a job in a session. */
  @FunctionalInterface
  interface Job<O> {
    JobResult run(SparkSession spark, Settings settings, O options) throws Exception;
  }

  @ParentCommand Cli cli;
  @Spec CommandSpec spec;

  @Option(names = "--config", paramLabel = "FILE", description = "A HOCON file of settings (a job recipe).")
  File config;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Override one setting, e.g. --set vae.latent-size=32 (repeatable; applied last).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--summary", paramLabel = "FILE",
      description = "Write the run summary (inputs, outputs, counts, timings, rows/s, backend) as JSON to FILE "
          + "(any Hadoop path), also when the job fails.")
  String summaryFile;

  @Mixin final O options;
  private final Job<O> job;

  JobCommand(O options, Job<O> job) {
    this.options = options;
    this.job = job;
  }

  @Override
  public Integer call() throws Exception {
    Settings settings = settings();
    String name = spec.name();
    ContainerMemoryKills kills = new ContainerMemoryKills(ClusterProfile.from(settings));
    try (SparkSession spark = SparkSessions.create(settings, "spark-vae " + name, kills)) {
      cli.out.println(JobRun.execute(spark, name, settings, summaryFile, options.overwrite(), cli.err, kills,
          summary -> {
            options.recordInputs(summary);
            JobResult result = job.run(spark, settings, options);
            result.summarize(summary);
            return result.message();
          }));
    }
    return 0;
  }

  /** The settings of the run, checked (and applied to the options where they read them) before any work. */
  Settings settings() {
    return cli.settings(config, overrides);
  }
}
