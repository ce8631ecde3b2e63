package dev.sparkvae.runtime;

import dev.sparkvae.cluster.ClusterProfile;
import java.util.Optional;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a session for executors whose YARN container was killed for exceeding its physical memory, logs each as a
 * warning with the cluster profile's advice ({@link ClusterProfile#containerMemoryAdvice}), and turns a job's failure
 * after such a kill into a {@link ContainerKilledException} with that advice. The failure itself rarely says it:
 * after a few kills YARN ends the application, and the job only learns that its SparkContext was shut down.
 *
 * <p>Register it on the session's SparkContext ({@code addSparkListener}) before the first job. Spark's listener bus
 * is asynchronous, so {@link #explain} also reads the failure's own messages.
 */
public final class ContainerMemoryKills extends SparkListener {
  private static final Logger LOG = LoggerFactory.getLogger(ContainerMemoryKills.class);

  private final ClusterProfile profile;
  private volatile String advice;

  public ContainerMemoryKills(ClusterProfile profile) {
    this.profile = profile;
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    profile.containerMemoryAdvice(removed.reason()).ifPresent(found -> {
      LOG.warn("Executor {} lost: {}", removed.executorId(), found);
      advice = found;
    });
  }

  /** {@code failure}, or a {@link ContainerKilledException} caused by it when an executor was killed for memory. */
  public Exception explain(Exception failure) {
    return killed(failure).<Exception>map(killed -> killed).orElse(failure);
  }

  /** {@code failure}, or a {@link ContainerKilledException} caused by it when an executor was killed for memory. */
  public RuntimeException explain(RuntimeException failure) {
    return killed(failure).<RuntimeException>map(killed -> killed).orElse(failure);
  }

  private Optional<ContainerKilledException> killed(Exception failure) {
    Optional<String> found = Optional.empty();
    for (Throwable t = failure; t != null && found.isEmpty(); t = t.getCause()) {
      found = profile.containerMemoryAdvice(t.getMessage());
    }
    return found.or(() -> Optional.ofNullable(advice)).map(text -> new ContainerKilledException(text, failure));
  }
}
