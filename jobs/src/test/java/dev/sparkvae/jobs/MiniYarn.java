package dev.sparkvae.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real YARN cluster on HDFS, in this JVM, for the integration tests: a MiniDFSCluster (NameNode and one DataNode)
 * and a MiniYARNCluster (ResourceManager and one NodeManager) on free ports. Its configuration is written as an edge
 * node has it: {@code core-site.xml}, {@code hdfs-site.xml} and {@code yarn-site.xml} in {@link #confDir()} (pass it
 * as HADOOP_CONF_DIR), with a {@code spark-defaults.conf} beside them (SPARK_CONF_DIR) that points
 * {@code spark.yarn.jars} at the Spark home's jars on this machine, so that no submission uploads Spark.
 *
 * <p>An application gets one attempt, so a failure is final at once. The NodeManager offers 10 GB in steps of
 * 64 MB, has its physical-memory check on (every half second, its own, not left to cgroups) and its virtual-memory
 * check off, as on most clusters, since the JVM reserves far more address space than it uses, gives containers this
 * JVM's JAVA_HOME, and keeps their logs in its log directory ({@link #containerLogs}). The daemons are in-process:
 * their threads share the test JVM's heap.
 */
final class MiniYarn implements AutoCloseable {
  private static final Set<YarnApplicationState> ENDED = EnumSet.of(YarnApplicationState.FINISHED,
      YarnApplicationState.FAILED, YarnApplicationState.KILLED);

  private final Path confDir;
  private final MiniDFSCluster hdfs;
  private final MiniYARNCluster yarn;
  private final YarnClient client;

  private MiniYarn(Path confDir, MiniDFSCluster hdfs, MiniYARNCluster yarn, YarnClient client) {
    this.confDir = confDir;
    this.hdfs = hdfs;
    this.yarn = yarn;
    this.client = client;
  }

  /** An in-process HDFS (NameNode and one DataNode on free loopback ports) with its data under {@code dir}. */
  static MiniDFSCluster startHdfs(Configuration conf, Path dir) throws IOException {
    conf.set("dfs.namenode.rpc-address", "127.0.0.1:0");
    MiniDFSCluster hdfs = new MiniDFSCluster.Builder(conf, dir.toFile()).numDataNodes(1).nameNodePort(0)
        .nameNodeHttpPort(0).build();
    hdfs.waitActive();
    return hdfs;
  }

  /** Starts HDFS and YARN with their data and configuration under {@code dir}. */
  static MiniYarn start(Path dir, Path sparkHome) throws Exception {
    Configuration hdfsConf = new Configuration();
    hdfsConf.setInt("dfs.replication", 1);
    MiniDFSCluster hdfs = startHdfs(hdfsConf, dir.resolve("hdfs"));
    String defaultFs = hdfs.getFileSystem().getUri().toString();

    YarnConfiguration conf = new YarnConfiguration();
    conf.set("fs.defaultFS", defaultFs);
    // MiniYARNCluster sets each NodeManager's memory from its own key.
    conf.setInt(YarnConfiguration.YARN_MINICLUSTER_NM_PMEM_MB, 10240);
    conf.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 64);
    conf.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 1);
    // Containers are granted at NodeManager heartbeats: every 200 ms rather than every second.
    conf.setLong(YarnConfiguration.RM_NM_HEARTBEAT_INTERVAL_MS, 200);
    // The CapacityScheduler's one queue, with room for a cluster-mode driver beside its executors.
    conf.set("yarn.scheduler.capacity.root.queues", "default");
    conf.set("yarn.scheduler.capacity.root.default.capacity", "100");
    conf.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
    conf.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    conf.set("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5");
    conf.set("yarn.scheduler.capacity.node-locality-delay", "-1");
    // MiniYARNCluster turns the container monitor off unless told to leave it to the configuration, which must
    // then name how it measures a container's processes.
    conf.setBoolean(YarnConfiguration.YARN_MINICLUSTER_CONTROL_RESOURCE_MONITORING, true);
    conf.set(YarnConfiguration.NM_CONTAINER_MON_RESOURCE_CALCULATOR,
        "org.apache.hadoop.yarn.util.LinuxResourceCalculatorPlugin");
    conf.set(YarnConfiguration.NM_CONTAINER_MON_PROCESS_TREE, "org.apache.hadoop.yarn.util.ProcfsBasedProcessTree");
    conf.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, true);
    conf.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    // Without this the check above never kills: Hadoop 3.3's monitor leaves memory to cgroups whenever
    // yarn.nodemanager.resource.memory.enforced is true (its default), even with cgroups' memory control off.
    conf.setBoolean(YarnConfiguration.NM_MEMORY_RESOURCE_ENFORCED, false);
    conf.setLong(YarnConfiguration.NM_CONTAINER_MON_INTERVAL_MS, 500);
    conf.set(YarnConfiguration.NM_ADMIN_USER_ENV, YarnConfiguration.DEFAULT_NM_ADMIN_USER_ENV + ",JAVA_HOME="
        + System.getProperty("java.home"));
    // Build machines run with full disks too: a NodeManager with no healthy disk runs no container.
    conf.setFloat(YarnConfiguration.NM_MAX_PER_DISK_UTILIZATION_PERCENTAGE, 100.0f);
    MiniYARNCluster yarn = new MiniYARNCluster(MiniYarn.class.getSimpleName(), 1, 1, 1);
    yarn.init(conf);
    yarn.start();
    // start() may return before the ResourceManager has written its bound port into the configuration.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0") && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(yarn.getConfig().get(YarnConfiguration.RM_ADDRESS)).as("the ResourceManager's address")
        .doesNotEndWith(":0");

    Path confDir = Files.createDirectories(dir.resolve("conf"));
    Configuration core = new Configuration(false);
    core.set("fs.defaultFS", defaultFs);
    write(core, confDir.resolve("core-site.xml"));
    Configuration hdfsSite = new Configuration(false);
    hdfsSite.setInt("dfs.replication", 1);
    write(hdfsSite, confDir.resolve("hdfs-site.xml"));
    write(yarn.getConfig(), confDir.resolve("yarn-site.xml"));
    Files.writeString(confDir.resolve("spark-defaults.conf"),
        "spark.yarn.jars local:" + sparkHome.resolve("jars") + "/*\n");

    YarnClient client = YarnClient.createYarnClient();
    client.init(yarn.getConfig());
    client.start();
    return new MiniYarn(confDir, hdfs, yarn, client);
  }

  private static void write(Configuration conf, Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      conf.writeXml(out);
    }
  }

  /** HADOOP_CONF_DIR and SPARK_CONF_DIR of this cluster. */
  Path confDir() {
    return confDir;
  }

  /** The environment that submits to this cluster: HADOOP_CONF_DIR and SPARK_CONF_DIR. */
  Map<String, String> environment() {
    return Map.of("HADOOP_CONF_DIR", confDir.toString(), "SPARK_CONF_DIR", confDir.toString());
  }

  /** The cluster's HDFS, the default file system of its configuration. */
  FileSystem fs() throws IOException {
    return hdfs.getFileSystem();
  }

  /**
   * The latest application of {@code name} (e.g. {@code spark-vae train}), once it has ended: in client mode the
   * ApplicationMaster unregisters after the driver is gone.
   */
  ApplicationReport latestApplication(String name) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (true) {
      List<ApplicationReport> apps = client.getApplications().stream().filter(app -> app.getName().equals(name))
          .sorted(Comparator.comparing(ApplicationReport::getApplicationId)).toList();
      assertThat(apps).as("applications named " + name).isNotEmpty();
      ApplicationReport latest = apps.get(apps.size() - 1);
      if (ENDED.contains(latest.getYarnApplicationState()) || System.nanoTime() > deadline) {
        return latest;
      }
      Thread.sleep(200);
    }
  }

  /** The log directories of an application's containers on the NodeManager, by container id (AM's first). */
  List<Path> containerLogs(ApplicationReport app) throws IOException {
    Path appLogs = Path.of(yarn.getNodeManager(0).getConfig().get(YarnConfiguration.NM_LOG_DIRS).split(",")[0])
        .resolve(app.getApplicationId().toString());
    try (Stream<Path> containers = Files.list(appLogs)) {
      return containers.filter(Files::isDirectory).sorted().toList();
    }
  }

  @Override
  public void close() {
    client.stop();
    yarn.stop();
    hdfs.shutdown();
  }
}
