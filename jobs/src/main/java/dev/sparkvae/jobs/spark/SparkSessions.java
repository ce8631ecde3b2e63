package dev.sparkvae.jobs.spark;

import dev.sparkvae.config.Settings;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the SparkSession of a job from {@code cluster.*} settings: the master when the profile names one (under
 * spark-submit it is left to spark-submit), then every {@code cluster.spark-conf} entry as it is.
 */
public final class SparkSessions {
  private SparkSessions() {}

  /** Gets or creates the session; settings already present in the SparkConf (from spark-submit) win. */
  public static SparkSession create(Settings settings, String appName) {
    SparkConf conf = new SparkConf().setAppName(appName);
    String master = settings.string("cluster.master");
    if (!master.isBlank() && !conf.contains("spark.master")) {
      conf.setMaster(master);
    }
    for (Map.Entry<String, String> entry : settings.stringMap("cluster.spark-conf").entrySet()) {
      if (!conf.contains(entry.getKey())) {
        conf.set(entry.getKey(), entry.getValue());
      }
    }
    return SparkSession.builder().config(conf).getOrCreate();
  }
}
