package dev.sparkvae.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import scala.collection.JavaConverters;

/**
 * The running jobs and stages, from Spark's listener bus, for {@link ConsoleProgress}: descriptions, task counts and
 * the rows of finished tasks all come from the same events, so they agree (Spark's status store flushes its live
 * counts only now and then). When the last running job ends it calls {@code onIdle} at once, so that what the driver
 * logs next starts on a clean line.
 */
final class ProgressTracker extends SparkListener {
  /** The local property that {@code SparkContext.setJobDescription} sets. */
  private static final String JOB_DESCRIPTION = "spark.job.description";

  final Map<Integer, String> descriptions = new ConcurrentHashMap<>();
  final Map<Integer, Long> started = new ConcurrentHashMap<>();
  final Map<Integer, Rows> rows = new ConcurrentHashMap<>();
  final Map<Integer, Integer> jobOfStage = new ConcurrentHashMap<>();
  final Map<Integer, Stage> stages = new ConcurrentHashMap<>();
  private final Runnable onIdle;

  ProgressTracker(Runnable onIdle) {
    this.onIdle = onIdle;
  }

  /** Rows written and records read by the finished tasks of one job. */
  static final class Rows {
    final AtomicLong written = new AtomicLong();
    final AtomicLong read = new AtomicLong();
  }

  /** One running stage (its latest attempt): tasks in all, finished and running, and when it was submitted. */
  static final class Stage {
    final int id;
    final int job;
    final int tasks;
    final long submitted;
    final AtomicInteger completed = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();

    Stage(int id, int job, int tasks, long submitted) {
      this.id = id;
      this.job = job;
      this.tasks = tasks;
      this.submitted = submitted;
    }
  }

  @Override
  public void onJobStart(SparkListenerJobStart event) {
    int job = event.jobId();
    String description = event.properties() == null ? null
        : event.properties().getProperty(JOB_DESCRIPTION);
    if (description != null) {
      descriptions.put(job, description);
    }
    rows.put(job, new Rows());
    for (Object stage : JavaConverters.seqAsJavaList(event.stageIds())) {
      jobOfStage.put((Integer) stage, job);
    }
    started.put(job, event.time());
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    int id = event.stageInfo().stageId();
    Integer job = jobOfStage.get(id);
    if (job != null) {
      stages.put(id, new Stage(id, job, event.stageInfo().numTasks(), System.currentTimeMillis()));
    }
  }

  @Override
  public void onTaskStart(SparkListenerTaskStart event) {
    Stage stage = stages.get(event.stageId());
    if (stage != null) {
      stage.running.incrementAndGet();
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    Stage stage = stages.get(event.stageId());
    if (stage != null) {
      stage.running.decrementAndGet();
      if (event.taskInfo().successful()) {
        stage.completed.incrementAndGet();
      }
    }
    Integer job = jobOfStage.get(event.stageId());
    Rows counts = job == null ? null : rows.get(job);
    if (counts != null && event.taskMetrics() != null && event.taskInfo().successful()) {
      counts.written.addAndGet(event.taskMetrics().outputMetrics().recordsWritten());
      counts.read.addAndGet(event.taskMetrics().inputMetrics().recordsRead());
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    stages.remove(event.stageInfo().stageId());
  }

  @Override
  public void onJobEnd(SparkListenerJobEnd event) {
    int job = event.jobId();
    started.remove(job);
    descriptions.remove(job);
    rows.remove(job);
    jobOfStage.values().removeIf(j -> j == job);
    stages.values().removeIf(stage -> stage.job == job);
    if (started.isEmpty()) {
      onIdle.run();
    }
  }
}
