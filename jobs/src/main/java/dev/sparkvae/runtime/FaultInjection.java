package dev.sparkvae.runtime;

import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;

/**
 * Faults injected into tasks on purpose, to prove on a real cluster that a job survives them (the reliability
 * tests). Off unless the Spark setting {@value #KEY} is set; never set it in production.
 *
 * <p>Syntax: {@code ACTION@POINT[:partition=N][:attempt=N][:iteration=N]}. ACTION is {@code exit} (the executor JVM
 * halts at once, as when a node is lost) or {@code throw} (the task fails). POINT is {@code score} (a scoring task,
 * before each batch) or {@code train} (a training worker, before each minibatch). The filters match the task's
 * partition, its attempt number and, for {@code train}, the network's iteration count; an absent filter matches
 * all. {@code attempt} counts the attempts of the task within the first attempt of its stage only: when a lost
 * executor takes shuffle outputs with it, Spark runs the stage again as a new stage attempt whose task attempts
 * count from 0 again, and that re-run must not be killed too. Example: {@code exit@score:partition=1:attempt=0}
 * kills the executor running the first attempt of partition 1, once; {@code throw@score} fails every scoring task,
 * so the job fails.
 */
public final class FaultInjection {
  /** The Spark setting that holds the fault. */
  public static final String KEY = "spark.sparkvae.fault";

  private FaultInjection() {}

  /**
   * Injects the configured fault if it is for {@code point} and matches this task.
   *
   * @param iteration the network's iteration count at a training point; -1 elsewhere
   */
  public static void at(String point, long iteration) {
    SparkEnv env = SparkEnv.get();
    TaskContext task = TaskContext.get();
    if (env == null || task == null) {
      return;
    }
    String fault = env.conf().get(KEY, "");
    if (fault.isEmpty()) {
      return;
    }
    Map<String, String> spec = parse(fault);
    if (!appliesTo(spec, point, task.partitionId(), task.stageAttemptNumber(), task.attemptNumber(), iteration)) {
      return;
    }
    String where = String.format("%s in partition %d, attempt %d of stage attempt %d%s", point, task.partitionId(),
        task.attemptNumber(), task.stageAttemptNumber(), iteration < 0 ? "" : ", iteration " + iteration);
    if ("exit".equals(spec.get("action"))) {
      System.err.println("FaultInjection: halting this executor JVM at " + where);
      Runtime.getRuntime().halt(137);
    }
    throw new IllegalStateException("Injected fault (" + KEY + "=" + fault + ") at " + where);
  }

  /** Whether the fault {@code spec} ({@link #parse}) is for this point and task attempt. */
  static boolean appliesTo(Map<String, String> spec, String point, int partition, int stageAttempt, int attempt,
      long iteration) {
    return point.equals(spec.get("point")) && matches(spec, "partition", partition)
        && matches(spec, "attempt", stageAttempt == 0 ? attempt : -1) && matches(spec, "iteration", iteration);
  }

  private static boolean matches(Map<String, String> spec, String filter, long value) {
    return !spec.containsKey(filter) || Long.parseLong(spec.get(filter)) == value;
  }

  /** action, point and the filters of a fault; IllegalArgumentException when malformed. */
  static Map<String, String> parse(String fault) {
    String[] parts = fault.split(":");
    String[] head = parts[0].split("@");
    if (head.length != 2 || !(head[0].equals("exit") || head[0].equals("throw"))) {
      throw new IllegalArgumentException("Cannot use " + KEY + "=" + fault
          + ": the form is exit|throw@POINT[:partition=N][:attempt=N][:iteration=N]");
    }
    Map<String, String> spec = new HashMap<>(Map.of("action", head[0], "point", head[1]));
    for (int i = 1; i < parts.length; i++) {
      String[] filter = parts[i].split("=");
      if (filter.length != 2 || !filter[1].matches("\\d+")) {
        throw new IllegalArgumentException("Cannot use " + KEY + "=" + fault + ": filter " + parts[i]
            + " is not name=number");
      }
      spec.put(filter[0], filter[1]);
    }
    return spec;
  }
}
