package dev.sparkvae.cli;

import dev.sparkvae.cluster.Nd4jBackendInfo;
import dev.sparkvae.config.ProgressSettings;
import dev.sparkvae.config.Settings;
import dev.sparkvae.io.AtomicDirectory;
import dev.sparkvae.io.RunSummary;
import dev.sparkvae.runtime.ConsoleProgress;
import dev.sparkvae.runtime.ContainerMemoryKills;
import dev.sparkvae.training.VaeTraining;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.UUID;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of a job from the command line. Its Spark jobs share a job group, {@code sparkvae-JOB-XXXXXXXX}, so the
 * Spark UI shows them together and {@code SparkContext.cancelJobGroup} stops them; each job names its Spark jobs
 * with descriptions such as {@code train: epoch 3/10}. While it runs, the {@link ConsoleProgress} line shows on
 * stderr ({@code progress.*}). At the end, successful or not, its {@link RunSummary} is logged and written to the
 * summary file when one is given.
 */
final class JobRun {
  private static final Logger LOG = LoggerFactory.getLogger(JobRun.class);

  /** The work of a job: runs it, records what it did in the summary, returns the line to print. */
  @FunctionalInterface
  interface Work {
    String run(RunSummary.Builder summary) throws Exception;
  }

  private JobRun() {}

  /**
   * Runs {@code work} as job {@code job} in {@code spark}.
   *
   * @param summaryFile where to write the run summary JSON (any Hadoop path), or null
   * @param overwrite replace an existing summary file (checked before any work)
   * @param console where the progress line goes (stderr)
   * @param kills the session's watch on containers killed for their memory, which explains a failure after one
   */
  static String execute(SparkSession spark, String job, Settings settings, String summaryFile, boolean overwrite,
      PrintWriter console, ContainerMemoryKills kills, Work work) throws Exception {
    SparkContext sc = spark.sparkContext();
    if (summaryFile != null) {
      AtomicDirectory.checkWritable(summaryFile, overwrite, sc.hadoopConfiguration());
    }
    ProgressSettings progressSettings = ProgressSettings.from(settings);
    RunSummary.Builder summary = RunSummary.start(job);
    String group = "sparkvae-" + job + "-" + UUID.randomUUID().toString().substring(0, 8);
    sc.setJobGroup(group, job, false);
    ConsoleProgress progress = ConsoleProgress.start(sc, progressSettings, console);
    try {
      String line = work.run(summary);
      finish(sc, settings, summary, summaryFile, null);
      return line;
    } catch (Exception e) {
      Exception failure = kills.explain(e);
      try {
        finish(sc, settings, summary, summaryFile, Failures.reason(failure));
      } catch (Exception summaryFailure) {
        failure.addSuppressed(summaryFailure);
      }
      throw failure;
    } finally {
      if (progress != null) {
        progress.close();
      }
      sc.clearJobGroup();
    }
  }

  private static void finish(SparkContext sc, Settings settings, RunSummary.Builder summary, String summaryFile,
      String error) throws IOException {
    summary.environment("spark_master", sc.master())
        .environment("spark_app_id", sc.applicationId())
        .environment("spark_version", sc.version())
        .environment("default_parallelism", String.valueOf(sc.defaultParallelism()))
        .environment("cluster_backend", settings.string("cluster.backend"))
        .environment("nd4j_backend", Nd4j.getBackend().getClass().getName())
        .environment("blas_vendor", Nd4jBackendInfo.current().blasVendor())
        .versions(VaeTraining.versions());
    RunSummary done = error == null ? summary.succeeded() : summary.failed(error);
    LOG.info("run summary: {}", done.toJson());
    if (summaryFile == null) {
      return;
    }
    done.write(summaryFile, sc.hadoopConfiguration());
  }
}
