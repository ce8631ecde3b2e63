package dev.sparkvae.runtime;

import dev.sparkvae.cluster.ClusterProfile;
import dev.sparkvae.cluster.CpuNatives;
import dev.sparkvae.config.Settings;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the SparkSession of a job from its cluster profile ({@code cluster.*} settings): the master when the
 * profile names one (under spark-submit it is left to spark-submit), then every Spark setting of the profile as it
 * is. Then checks that ND4J loaded the profile's backend where the tasks run ({@link BackendCheck}). ND4J's native
 * build and OpenBLAS's kernel are chosen for the driver's CPU first ({@link CpuNatives}), before anything loads ND4J.
 */
public final class SparkSessions {
  private SparkSessions() {}

  /**
   * Gets or creates the session; settings already present in the SparkConf (from spark-submit) win.
   *
   * @param kills registered on the session before the backend check, which is the first Spark job
   * @throws dev.sparkvae.config.InvalidSettingException on an invalid profile, or when ND4J loaded another backend
   *     than the profile asks for (the session is stopped first)
   */
  public static SparkSession create(Settings settings, String appName, ContainerMemoryKills kills) {
    CpuNatives.chooseForThisProcess();
    ClusterProfile profile = ClusterProfile.from(settings);
    if (profile.isLocal()) {
      BackendCheck.checkDriver(profile);
    }
    SparkConf conf = new SparkConf().setAppName(appName);
    if (!profile.master().isEmpty() && !conf.contains("spark.master")) {
      conf.setMaster(profile.master());
    }
    for (Map.Entry<String, String> entry : profile.sparkConf().entrySet()) {
      if (!conf.contains(entry.getKey())) {
        conf.set(entry.getKey(), entry.getValue());
      }
    }
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    spark.sparkContext().addSparkListener(kills);
    try {
      BackendCheck.check(spark, profile, profile.isLocal());
    } catch (RuntimeException e) {
      spark.stop();
      throw kills.explain(e);
    }
    return spark;
  }
}
