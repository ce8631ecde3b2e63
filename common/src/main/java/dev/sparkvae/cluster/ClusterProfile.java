package dev.sparkvae.cluster;

import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A cluster profile: the validated {@code cluster.*} settings (see {@code conf/defaults.conf}) and what they mean
 * for spark-submit. Built by {@link #from}, which checks every value and the rules between them before anything
 * starts; {@link #sparkSubmitOptions()} gives the options that go before the application jar,
 * {@link #requireBackend} compares the backend asked for with the one ND4J loaded.
 *
 * <p>Spark settings go as {@code --conf key=value}; master, deploy mode and sizes as spark-submit's own flags.
 * ND4J's off-heap limits become {@code -Dorg.bytedeco.javacpp.*} in the driver's and executors' Java options,
 * native threads {@code spark.executorEnv.OMP_NUM_THREADS}, GPUs Spark's resource settings with one task per GPU;
 * on the CPU backend, {@link #BLAS_KERNEL_PLUGIN} joins {@code spark.plugins}.
 */
public final class ClusterProfile {
  /** The main class of every job. */
  public static final String MAIN_CLASS = "dev.sparkvae.cli.Cli";
  /** ND4J's Kryo registrator; dl4j-spark fails under Kryo without it (or ours, which includes it). */
  public static final String ND4J_REGISTRATOR = "org.nd4j.kryo.Nd4jRegistrator";
  /**
   * ND4J's registrator with arrays copied in blocks, for the parameters and updater state that parameter averaging
   * sends every round; the CPU profiles use it. The GPU profiles keep ND4J's own, as its block copy of device
   * buffers has not been run on a GPU.
   */
  public static final String BLOCK_REGISTRATOR = "dev.sparkvae.runtime.NdArrayKryoRegistrator";
  static final String KRYO = "org.apache.spark.serializer.KryoSerializer";
  /** The Spark plugin that chooses OpenBLAS's kernel on every executor before ND4J loads; the CPU profiles add it. */
  public static final String BLAS_KERNEL_PLUGIN = "dev.sparkvae.runtime.BlasKernelPlugin";

  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt])b?", Pattern.CASE_INSENSITIVE);

  /** The ND4J backend a profile asks for. */
  public enum Backend {
    /** nd4j-native (OpenBLAS): the CPU jar. */
    CPU,
    /** nd4j-cuda-11.6: the GPU jar. */
    GPU;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  final String name;
  final Settings settings;
  final String master;
  final String deployMode;
  final Backend backend;
  final String applicationJar;
  final String confDir;
  final List<String> files;
  final String driverMemory;
  final String driverMaxBytes;
  final String driverMaxPhysicalBytes;
  final int instances;
  final int cores;
  final String executorMemory;
  final String memoryOverhead;
  final int nativeThreads;
  final String executorMaxBytes;
  final String executorMaxPhysicalBytes;
  final int gpus;
  final String discoveryScript;
  final String gpuVendor;
  final Map<String, String> sparkConf;

  private ClusterProfile(Settings settings) {
    this.settings = settings;
    File file = settings.clusterFile();
    this.name = file == null ? "(none)" : file.getName().replaceFirst("\\.conf$", "");
    master = settings.string("cluster.master").trim();
    deployMode = settings.oneOf("cluster.deploy-mode", "client", "cluster");
    backend = Backend.valueOf(settings.oneOf("cluster.backend", "cpu", "gpu").toUpperCase(Locale.ROOT));
    applicationJar = settings.string("cluster.application-jar").trim();
    confDir = settings.string("cluster.conf-dir").trim();
    files = settings.stringList("cluster.files");
    driverMemory = size("cluster.driver.memory");
    driverMaxBytes = size("cluster.driver.javacpp-max-bytes");
    driverMaxPhysicalBytes = size("cluster.driver.javacpp-max-physical-bytes");
    instances = settings.nonNegativeInt("cluster.executor.instances");
    cores = settings.nonNegativeInt("cluster.executor.cores");
    executorMemory = size("cluster.executor.memory");
    memoryOverhead = size("cluster.executor.memory-overhead");
    nativeThreads = settings.positiveInt("cluster.executor.native-threads");
    executorMaxBytes = size("cluster.executor.javacpp-max-bytes");
    executorMaxPhysicalBytes = size("cluster.executor.javacpp-max-physical-bytes");
    gpus = settings.nonNegativeInt("cluster.executor.gpus");
    discoveryScript = settings.string("cluster.gpu.discovery-script").trim();
    gpuVendor = settings.string("cluster.gpu.vendor").trim();
    sparkConf = settings.stringMap("cluster.spark-conf");
  }

  /**
   * The profile of {@code settings} (loaded with the profile file, if any), validated.
   *
   * @throws InvalidSettingException naming key, value, origin and rule for the first invalid value
   */
  public static ClusterProfile from(Settings settings) {
    ClusterProfile profile = new ClusterProfile(settings);
    ProfileRules.check(profile);
    return profile;
  }

  /** The profile's name: its file name without {@code .conf}, or {@code (none)}. */
  public String name() {
    return name;
  }

  public Backend backend() {
    return backend;
  }

  /** The master URL; "" when the profile leaves it to whoever starts the job. */
  public String master() {
    return master;
  }

  /** True for an embedded {@code local[...]} master: one JVM, no spark-submit. */
  public boolean isLocal() {
    return master.startsWith("local");
  }

  public String deployMode() {
    return deployMode;
  }

  /** The application jar the profile names, or "" for the one built for its backend. */
  public String applicationJar() {
    return applicationJar;
  }

  /** conf/ as the driver sees it, or "" for the submitting checkout's. */
  public String confDir() {
    return confDir;
  }

  public List<String> files() {
    return files;
  }

  public String driverMemory() {
    return driverMemory;
  }

  public int nativeThreads() {
    return nativeThreads;
  }

  /** The JVM options of the driver (ND4J's off-heap limits); empty when the profile sets none. */
  public List<String> driverJavaOptions() {
    return javacppOptions(driverMaxBytes, driverMaxPhysicalBytes);
  }

  /** Environment of every process that runs tasks: native threads, and no spin-waiting thread pools. */
  public Map<String, String> taskEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("OMP_NUM_THREADS", Integer.toString(nativeThreads));
    env.put("OMP_WAIT_POLICY", "passive");
    return env;
  }

  /**
   * Every Spark setting the profile makes, in a stable order: memory overhead, task environment, executor and
   * driver Java options, GPU resources, the BLAS kernel plugin, then {@code cluster.spark-conf} (whose Java options
   * and plugins are joined with ours).
   */
  public Map<String, String> sparkConf() {
    return sparkConf(List.of());
  }

  Map<String, String> sparkConf(List<String> extraDriverJavaOptions) {
    Map<String, String> conf = new LinkedHashMap<>();
    if (!memoryOverhead.isEmpty()) {
      conf.put("spark.executor.memoryOverhead", memoryOverhead);
    }
    taskEnvironment().forEach((key, value) -> conf.put("spark.executorEnv." + key, value));
    putJavaOptions(conf, "spark.executor.extraJavaOptions", javacppOptions(executorMaxBytes, executorMaxPhysicalBytes));
    List<String> driverOptions = new ArrayList<>(driverJavaOptions());
    driverOptions.addAll(extraDriverJavaOptions);
    putJavaOptions(conf, "spark.driver.extraJavaOptions", driverOptions);
    if (backend == Backend.GPU && !isLocal()) {
      conf.put("spark.executor.resource.gpu.amount", Integer.toString(gpus));
      conf.put("spark.task.resource.gpu.amount", "1");
      conf.put("spark.executor.resource.gpu.discoveryScript", discoveryScript);
      if (!gpuVendor.isEmpty()) {
        conf.put("spark.executor.resource.gpu.vendor", gpuVendor);
      }
    }
    if (backend == Backend.CPU) {
      conf.put("spark.plugins", BLAS_KERNEL_PLUGIN);
    }
    for (Map.Entry<String, String> entry : sparkConf.entrySet()) {
      String ours = conf.get(entry.getKey());
      String joint = entry.getKey().endsWith(".extraJavaOptions") ? " "
          : entry.getKey().equals("spark.plugins") ? "," : null;
      conf.put(entry.getKey(), ours != null && joint != null ? ours + joint + entry.getValue() : entry.getValue());
    }
    return conf;
  }

  /**
   * The spark-submit options of this profile, up to (without) the application jar: master, deploy mode, name,
   * class, sizes, files, then every {@link #sparkConf()} entry as {@code --conf key=value}.
   *
   * @param appName the application name (--name)
   * @param checkoutRoot the directory relative {@code cluster.files} paths are resolved against
   * @param extraDriverJavaOptions JVM options of the driver besides the profile's (e.g. its log configuration)
   */
  public List<String> sparkSubmitOptions(String appName, File checkoutRoot, List<String> extraDriverJavaOptions) {
    return SubmitArguments.of(this, appName, checkoutRoot, extraDriverJavaOptions);
  }


  /**
   * Checks that ND4J loaded the backend this profile asks for.
   *
   * @param found what ND4J loaded
   * @param where the JVM it was loaded in, e.g. {@code executor 1 (pid 4242 on node-7)}
   * @throws InvalidSettingException naming the profile, the key, its origin and what was found
   */
  public void requireBackend(Nd4jBackendInfo found, String where) {
    ProfileRules.requireBackend(this, found, where);
  }

  /** What to tell the user when YARN killed an executor's container for memory ({@link ContainerMemoryAdvice}). */
  public Optional<String> containerMemoryAdvice(String reason) {
    return ContainerMemoryAdvice.of(this, reason);
  }

  private static List<String> javacppOptions(String maxBytes, String maxPhysicalBytes) {
    List<String> options = new ArrayList<>();
    if (!maxBytes.isEmpty()) {
      options.add("-Dorg.bytedeco.javacpp.maxbytes=" + maxBytes);
    }
    if (!maxPhysicalBytes.isEmpty()) {
      options.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + maxPhysicalBytes);
    }
    return options;
  }

  private static void putJavaOptions(Map<String, String> conf, String key, List<String> options) {
    if (!options.isEmpty()) {
      conf.put(key, String.join(" ", options));
    }
  }



  /** A size with a unit ({@code 512m}, {@code 4g}, {@code 6G}), or "" for unset. */
  private String size(String key) {
    String value = settings.string(key).trim();
    if (!value.isEmpty() && !SIZE.matcher(value).matches()) {
      throw invalid(key, "the value must be a size with a unit, e.g. 512m or 4g");
    }
    return value;
  }

  /** Bytes of a size accepted by {@link #size}. */
  static long bytes(String size) {
    Matcher m = SIZE.matcher(size.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: " + size);
    }
    int shift = 10 * (" kmgt".indexOf(Character.toLowerCase(m.group(2).charAt(0))));
    return Long.parseLong(m.group(1)) << shift;
  }

  InvalidSettingException invalid(String key, String rule) {
    return new InvalidSettingException(String.format("Cannot set %s to %s (from %s) in cluster profile %s: %s", key,
        settings.config().getValue(key).render(com.typesafe.config.ConfigRenderOptions.concise()),
        settings.origin(key), name, rule));
  }
}
