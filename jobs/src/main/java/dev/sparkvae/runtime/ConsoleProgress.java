package dev.sparkvae.runtime;

import dev.sparkvae.config.ProgressSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Locale;
import org.apache.spark.SparkContext;

/**
 * One console line on the Spark job that is running: its description, the active stage's finished and total
 * tasks, the rows its finished tasks wrote (or the records they read) and their rate, and the stage's remaining
 * time from its pace so far, e.g.
 * {@code encode: in to out | stage 3: 37/120 tasks, 2 running | 1.24M rows written, 25.3k rows/s | ETA 3m12s}.
 *
 * <p>A listener ({@link ProgressTracker}) follows jobs, stages and tasks on Spark's listener bus (rows from the
 * metrics of finished tasks); a daemon thread draws the line every interval. On a terminal the line is redrawn in place and cleared between Spark
 * jobs; elsewhere a new line is printed whenever it changes. {@link #close()} stops the thread, clears the line and
 * removes the listener. Modes ({@code progress.console}): {@code auto} (on when stderr is a terminal), {@code on},
 * {@code off}.
 */
public final class ConsoleProgress implements AutoCloseable {
  private static final String CLEAR_TO_END = "\u001b[K";

  private final SparkContext sc;
  private final PrintWriter console;
  private final boolean terminal;
  private final long intervalMillis;
  private final int width;
  private final ProgressTracker tracker = new ProgressTracker(() -> show(""));
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
   * Starts the progress line of {@code sc} on {@code console} (which should be stderr) as {@code settings} say;
   * with {@code off}, or {@code auto} when stderr is not a terminal, returns null: nothing runs.
   */
  public static ConsoleProgress start(SparkContext sc, ProgressSettings settings, PrintWriter console) {
    boolean terminal = stderrIsTerminal();
    boolean shown = settings.console().equals(ProgressSettings.ON)
        || settings.console().equals(ProgressSettings.AUTO) && terminal;
    return shown ? new ConsoleProgress(sc, console, terminal, settings.intervalSeconds()) : null;
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
    ProgressTracker.Stage stage = tracker.stages.values().stream().filter(s -> s.job == job).min((a, b) -> Integer.compare(a.id,
        b.id)).orElse(null);
    if (stage != null) {
      int done = stage.completed.get();
      line.append(String.format(" | stage %d: %d/%d tasks", stage.id, done, stage.tasks));
      if (stage.running.get() > 0) {
        line.append(", ").append(stage.running.get()).append(" running");
      }
      ProgressTracker.Rows rows = tracker.rows.get(job);
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
}
