package dev.sparkvae.cluster;

import dev.sparkvae.config.InvalidSettingException;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The spark-submit options of a {@link ClusterProfile} (see {@link ClusterProfile#sparkSubmitOptions}). */
final class SubmitArguments {
  private SubmitArguments() {}

  static List<String> of(ClusterProfile p, String appName, File checkoutRoot, List<String> extraDriverJavaOptions) {
    if (p.isLocal() || p.master.isEmpty()) {
      throw new InvalidSettingException(String.format("Cannot submit with cluster profile %s: cluster.master is %s "
          + "(from %s); spark-submit needs a cluster master: spark://HOST:PORT, yarn or k8s://https://HOST:PORT",
          p.name, p.master.isEmpty() ? "empty" : p.master, p.settings.origin("cluster.master")));
    }
    List<String> args = new ArrayList<>(List.of("--master", p.master, "--deploy-mode", p.deployMode, "--name", appName,
        "--class", ClusterProfile.MAIN_CLASS));
    addIfSet(args, "--driver-memory", p.driverMemory);
    addIfSet(args, "--executor-memory", p.executorMemory);
    if (p.cores > 0) {
      args.addAll(List.of("--executor-cores", Integer.toString(p.cores)));
    }
    if (p.instances > 0) {
      boolean standalone = p.master.startsWith("spark://");
      args.addAll(standalone ? List.of("--total-executor-cores", Integer.toString(p.instances * p.cores))
          : List.of("--num-executors", Integer.toString(p.instances)));
    }
    if (!p.files.isEmpty()) {
      List<String> paths = new ArrayList<>();
      for (String file : p.files) {
        paths.add(new File(file).isAbsolute() || file.contains("://") ? file
            : new File(checkoutRoot, file).getAbsolutePath());
      }
      args.addAll(List.of("--files", String.join(",", paths)));
    }
    for (Map.Entry<String, String> entry : p.sparkConf(extraDriverJavaOptions).entrySet()) {
      args.addAll(List.of("--conf", entry.getKey() + "=" + entry.getValue()));
    }
    return args;
  }
  private static void addIfSet(List<String> args, String flag, String value) {
    if (!value.isEmpty()) {
      args.addAll(List.of(flag, value));
    }
  }}
