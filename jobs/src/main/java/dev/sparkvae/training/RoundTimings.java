package dev.sparkvae.training;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the time of a series of parameter-averaging rounds (one {@code fit}, i.e. one epoch) went, measured on the
 * driver and inside the workers.
 *
 * <p>Driver: {@code epochSetup} counts and caches the epoch's minibatches (before the first round); {@code prepare}
 * selects each later round's data; {@code broadcast} serialises the parameters and updater state for the workers;
 * {@code job} runs the round's Spark job: scheduling, the workers' tasks, sending their results back, averaging
 * them and setting them into the network. Worker figures are sums over the tasks (one task per worker per round):
 * {@code setup} (getting the network ready from the broadcast), {@code data} (waiting for minibatches),
 * {@code compute} (training steps), {@code result} (building the result), and per round the slowest task, which
 * the round waits for. What the job takes beyond its slowest task is Spark's own cost of the round: launching the
 * tasks, sending the results back, averaging.
 *
 * @param rounds averaging rounds
 * @param wallNanos wall time from the start of the fit to the end of the last round
 * @param epochSetupNanos driver: counting and caching the minibatches before the first round
 * @param prepareNanos driver: selecting the data of each round after the first
 * @param broadcastNanos driver: broadcasting parameters and updater state
 * @param jobNanos driver: the rounds' training jobs, averaging included
 * @param worker the workers' {@link WorkerClock} figures summed over the rounds
 */
public record RoundTimings(int rounds, long wallNanos, long epochSetupNanos, long prepareNanos, long broadcastNanos,
    long jobNanos, long[] worker) {

  /** Tasks that trained. */
  public long tasks() {
    return worker[WorkerClock.TASKS];
  }

  /** Minibatches fitted by all workers. */
  public long minibatches() {
    return worker[WorkerClock.MINIBATCHES];
  }

  /** Examples fitted by all workers. */
  public long examples() {
    return worker[WorkerClock.EXAMPLES];
  }

  /** Wall milliseconds per round, epoch setup excluded. */
  public double roundMillis() {
    return perRound(wallNanos - epochSetupNanos);
  }

  /**
   * Milliseconds per round that are not the workers' training steps: the round's wall time minus the mean
   * compute time of a task (the workers compute in parallel).
   */
  public double overheadMillis() {
    return roundMillis() - perTask(worker[WorkerClock.COMPUTE_NANOS]);
  }

  /** The figures per round (driver) and per task (worker), in milliseconds, in a fixed order. */
  public Map<String, Double> breakdown() {
    Map<String, Double> map = new LinkedHashMap<>();
    map.put("round_ms", roundMillis());
    map.put("epoch_setup_ms", epochSetupNanos / 1e6);
    map.put("prepare_ms", perRound(prepareNanos));
    map.put("broadcast_ms", perRound(broadcastNanos));
    map.put("job_ms", perRound(jobNanos));
    map.put("task_setup_ms", perTask(worker[WorkerClock.SETUP_NANOS]));
    map.put("task_data_ms", perTask(worker[WorkerClock.DATA_NANOS]));
    map.put("task_compute_ms", perTask(worker[WorkerClock.COMPUTE_NANOS]));
    map.put("task_result_ms", perTask(worker[WorkerClock.RESULT_NANOS]));
    map.put("slowest_task_ms", perRound(worker[WorkerClock.SLOWEST_TASK_NANOS]));
    map.put("job_beyond_slowest_task_ms", perRound(jobNanos - worker[WorkerClock.SLOWEST_TASK_NANOS]));
    map.put("overhead_ms", overheadMillis());
    map.put("minibatches_per_task", tasks() == 0 ? 0 : worker[WorkerClock.MINIBATCHES] / (double) tasks());
    map.put("reused_network_share", tasks() == 0 ? 0 : worker[WorkerClock.REUSED_NETWORKS] / (double) tasks());
    return map;
  }

  /** One log line. */
  public String summary() {
    Map<String, Double> b = breakdown();
    return String.format("%d rounds, %.1f ms per round (epoch setup %.0f ms): driver prepare %.1f, broadcast %.1f, "
        + "job %.1f ms (slowest task %.1f, Spark %.1f); per task: setup %.1f, data %.1f, compute %.1f, result %.1f ms "
        + "(%.1f minibatches); overhead %.1f ms per round", rounds, b.get("round_ms"), b.get("epoch_setup_ms"),
        b.get("prepare_ms"), b.get("broadcast_ms"), b.get("job_ms"), b.get("slowest_task_ms"),
        b.get("job_beyond_slowest_task_ms"), b.get("task_setup_ms"), b.get("task_data_ms"), b.get("task_compute_ms"),
        b.get("task_result_ms"), b.get("minibatches_per_task"), b.get("overhead_ms"));
  }

  private double perRound(long nanos) {
    return rounds == 0 ? 0 : nanos / 1e6 / rounds;
  }

  private double perTask(long nanos) {
    return tasks() == 0 ? 0 : nanos / 1e6 / tasks();
  }
}
