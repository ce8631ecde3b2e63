package dev.sparkvae.runtime;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import scala.collection.JavaConverters;

/**
 * One console line on the Spark job that is running: its description, the active stage's finished and total
 * tasks, the rows its finished tasks wrote (or the records they read) and their rate, and the stage's remaining
 * time from its pace so far, e.g.
 * {@code encode: in to out | stage 3: 37/120 tasks, 2 running | 1.24M rows written, 25.3k rows/s | ETA 3m12s}.
 *
 * <p>A listener follows jobs, stages and tasks on Spark's listener bus (rows from the metrics of finished tasks); a
 * daemon thread draws the line every interval. On a terminal the line is redrawn in place and cleared between Spark
 * jobs; elsewhere a new line is printed whenever it changes. {@link #close()} stops the thread, clears the line and removes the listener.
 * Modes: {@code auto} (on when stderr is a terminal), {@code on}, {@code off}.
 */
public final class ConsoleProgress implements AutoCloseable {
  private static final String CLEAR_TO_END = "\u001b[K";
  /** The local property that {@code SparkContext.setJobDescription} sets. */
  private static final String JOB_DESCRIPTION = "spark.job.description";

  private final SparkContext sc;
  private final PrintWriter console;
  private final boolean terminal;
  private final long intervalMillis;
  private final int width;
  private final Tracker tracker = new Tracker();
  private final Thread thread;
  private volatile boolean running = true;
  private String shown = "";

  private ConsoleProgress(SparkContext sc, PrintWriter console, boolean terminal, double intervalSeconds) {
    this.sc = sc;
    this.console = console;
    this.terminal = terminal;
    this.intervalMillis = Math.max(10, Math.round(intervalSeconds * 1000));
    this.width = terminalWidth();
    sc.addSparkListener(tracker);
    thread = new Thread(this::loop, "sparkvae-console-progress");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Starts the progress line of {@code sc} on {@code console} (which should be stderr) in {@code mode}; with
   * {@code off}, or {@code auto} when stderr is not a terminal, returns null: nothing runs.
   */
  public static ConsoleProgress start(SparkContext sc, String mode, double intervalSeconds, PrintWriter console) {
    boolean terminal = stderrIsTerminal();
    return switch (mode) {
      case "off" -> null;
      case "auto" -> terminal ? new ConsoleProgress(sc, console, true, intervalSeconds) : null;
      case "on" -> new ConsoleProgress(sc, console, terminal, intervalSeconds);
      default -> throw new IllegalArgumentException("Unknown progress mode " + mode + "; known: auto, on, off");
    };
  }

  /** True when fd 2 is a terminal (Linux: /proc/self/fd/2 names a tty; elsewhere: the JVM has a console). */
  static boolean stderrIsTerminal() {
    try {
      String target = Files.readSymbolicLink(Paths.get("/proc/self/fd/2")).toString();
      return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return System.console() != null;
    }
  }

  private static int terminalWidth() {
    try {
      return Math.max(40, Integer.parseInt(System.getenv().getOrDefault("COLUMNS", "120").trim()) - 1);
    } catch (NumberFormatException e) {
      return 119;
    }
  }

  /** True until {@link #close()} has stopped the thread. */
  public boolean isRunning() {
    return thread.isAlive();
  }

  private void loop() {
    while (running) {
      try {
        show(line(System.currentTimeMillis()));
        Thread.sleep(intervalMillis);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // Spark's status store may be closing under us at the end of a run: the line is only a view, skip a beat.
      }
    }
  }

  private synchronized void show(String line) {
    if (!running || line.equals(shown)) {
      return;
    }
    if (terminal) {
      String fitted = line.length() > width ? line.substring(0, width - 1) + "…" : line;
      console.print("\r" + fitted + CLEAR_TO_END);
    } else if (!line.isEmpty()) {
      console.println(line);
    }
    console.flush();
    shown = line;
  }

  /** The line for now: empty when no Spark job runs. */
  String line(long nowMillis) {
    Integer job = tracker.started.keySet().stream().max(Integer::compare).orElse(null);
    if (job == null) {
      return "";
    }
    StringBuilder line = new StringBuilder(tracker.descriptions.getOrDefault(job, "Spark job " + job));
    Stage stage = tracker.stages.values().stream().filter(s -> s.job == job).min((a, b) -> Integer.compare(a.id,
        b.id)).orElse(null);
    if (stage != null) {
      int done = stage.completed.get();
      line.append(String.format(" | stage %d: %d/%d tasks", stage.id, done, stage.tasks));
      if (stage.running.get() > 0) {
        line.append(", ").append(stage.running.get()).append(" running");
      }
      Rows rows = tracker.rows.get(job);
      Long started = tracker.started.get(job);
      if (rows != null && started != null && nowMillis > started) {
        double seconds = (nowMillis - started) / 1000.0;
        long written = rows.written.get();
        long read = rows.read.get();
        if (written > 0) {
          line.append(" | ").append(count(written)).append(" rows written, ").append(count(written / seconds))
              .append(" rows/s");
        } else if (read > 0) {
          line.append(" | ").append(count(read)).append(" records read, ").append(count(read / seconds))
              .append("/s");
        }
      }
      if (done > 0 && done < stage.tasks) {
        double perTask = (nowMillis - stage.submitted) / 1000.0 / done;
        line.append(" | ETA ").append(duration(perTask * (stage.tasks - done)));
      }
    }
    return line.toString();
  }

  /** 950, 12.3k, 4.21M. */
  static String count(double n) {
    if (n < 1_000) {
      return String.valueOf(Math.round(n));
    }
    if (n < 1_000_000) {
      return String.format(Locale.ROOT, "%.1fk", n / 1e3);
    }
    return String.format(Locale.ROOT, "%.2fM", n / 1e6);
  }

  /** 42s, 3m12s, 1h05m. */
  static String duration(double seconds) {
    long s = Math.round(seconds);
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
  }

  @Override
  public void close() {
    running = false;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (terminal && !shown.isEmpty()) {
        console.print("\r" + CLEAR_TO_END);
        console.flush();
      }
      shown = "";
    }
    sc.removeSparkListener(tracker);
  }

  /** Rows written and records read by the finished tasks of one job. */
  private static final class Rows {
    final AtomicLong written = new AtomicLong();
    final AtomicLong read = new AtomicLong();
  }

  /** One running stage (its latest attempt): tasks in all, finished and running, and when it was submitted. */
  private static final class Stage {
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

  /**
   * The running jobs and stages, from Spark's listener bus: descriptions, task counts and the rows of finished tasks
   * all come from the same events, so they agree (Spark's status store flushes its live counts only now and then).
   * When the last running job ends the line is cleared at once, so that what the driver logs next starts on a
   * clean line.
   */
  private final class Tracker extends SparkListener {
    final Map<Integer, String> descriptions = new ConcurrentHashMap<>();
    final Map<Integer, Long> started = new ConcurrentHashMap<>();
    final Map<Integer, Rows> rows = new ConcurrentHashMap<>();
    final Map<Integer, Integer> jobOfStage = new ConcurrentHashMap<>();
    final Map<Integer, Stage> stages = new ConcurrentHashMap<>();

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
        show("");
      }
    }
  }
}
