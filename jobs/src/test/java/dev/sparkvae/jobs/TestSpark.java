package dev.sparkvae.jobs;

import dev.sparkvae.config.Settings;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * One real local Spark shared by all tests of this JVM (2 task slots, a failed task retried once as on a
 * cluster, UI off, loopback), and test fixtures.
 */
public final class TestSpark {
  /** The committed Fashion-MNIST sample. */
  public static final Path SAMPLE = Paths.get("..", "data", "fashion-mnist-sample").toAbsolutePath().normalize();

  private static SparkSession session;
  /** Whether {@link #session} was made by {@link #sessionWith}. */
  private static boolean custom;

  private TestSpark() {}

  public static synchronized SparkSession session() {
    if (custom) {
      session.stop();
      custom = false;
    }
    if (session == null || session.sparkContext().isStopped()) {
      session = builder().getOrCreate();
    }
    return session;
  }

  /**
   * A session as {@link #session()} with {@code conf} on top, replacing the shared one until the next
   * {@link #session()} (which replaces it back): for settings fixed when a SparkContext starts, such as its memory.
   */
  public static synchronized SparkSession sessionWith(Map<String, String> conf) {
    if (session != null) {
      session.stop();
    }
    SparkSession.Builder builder = builder();
    conf.forEach(builder::config);
    session = builder.getOrCreate();
    custom = true;
    return session;
  }

  private static SparkSession.Builder builder() {
    return SparkSession.builder()
        .master("local[2,2]")
        .appName("spark-vae tests")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.serializer", "org.apache.spark.serializer.KryoSerializer")
        .config("spark.kryo.registrator", "dev.sparkvae.runtime.NdArrayKryoRegistrator")
        .config("spark.sql.shuffle.partitions", "4");
  }

  /** Command-line arguments that select the embedded local cluster profile of this checkout. */
  public static final String[] LOCAL_CLUSTER = {"--cluster", "local", "--conf-dir",
      Paths.get("..", "conf").toAbsolutePath().normalize().toString()};

  /** Settings from the defaults plus {@code overrides}. */
  public static Settings settings(String... overrides) {
    return Settings.load(null, null, new ArrayList<>(List.of(overrides)));
  }

  /** A small, fast network and training recipe for tests. */
  public static Settings smallRecipe(String... more) {
    List<String> overrides = new ArrayList<>(List.of("vae.encoder-sizes=[64]", "vae.decoder-sizes=[64]",
        "vae.latent-size=8", "train.epochs=2", "train.batch-size-per-worker=50", "train.averaging-frequency=2",
        "train.workers=2"));
    overrides.addAll(List.of(more));
    return Settings.load(null, null, overrides);
  }
}
