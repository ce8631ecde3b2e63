package dev.sparkvae.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import java.io.File;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The layers of {@link Settings}, later wins: the packaged defaults &lt; a cluster profile &lt; a {@code --config}
 * file &lt; {@code --set key=value} overrides; merged, resolved, and refused when a key is not in the defaults
 * (except under {@code cluster.spark-conf}, which is passed to Spark as it is).
 */
final class SettingsLayers {
  private static final String FREE_FORM_PREFIX = "cluster.spark-conf";

  private SettingsLayers() {}

  /**
   * The resolved configuration of the layers.
   *
   * @throws InvalidSettingException on a missing file, a syntax error or an unknown key
   */
  static Config merge(File clusterFile, File configFile, List<String> overrides) {
    Config defaults = ConfigFactory.parseResources(Settings.class.getClassLoader(), Settings.DEFAULTS_RESOURCE,
        ConfigParseOptions.defaults().setAllowMissing(false));
    Config merged = defaults;
    for (File file : new File[] {clusterFile, configFile}) {
      if (file != null) {
        merged = parseFile(file).withFallback(merged);
      }
    }
    for (String override : overrides) {
      merged = parseOverride(override).withFallback(merged);
    }
    Config resolved;
    try {
      resolved = merged.resolve();
    } catch (ConfigException e) {
      throw new InvalidSettingException("Cannot resolve settings: " + e.getMessage());
    }
    rejectUnknownKeys(resolved, defaults);
    return resolved;
  }

  private static Config parseFile(File file) {
    if (!file.isFile()) {
      throw new InvalidSettingException("Cannot read settings file " + file + ": it does not exist");
    }
    try {
      return ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new InvalidSettingException("Cannot parse settings file " + file + ": " + e.getMessage());
    }
  }

  private static Config parseOverride(String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new InvalidSettingException(
          "Cannot apply --set " + override + ": the form is --set key=value, e.g. --set vae.latent-size=32");
    }
    String key = override.substring(0, eq).trim();
    String value = override.substring(eq + 1).trim();
    try {
      return ConfigFactory.parseString(key + " = " + (value.isEmpty() ? "\"\"" : value),
          ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setOriginDescription("--set " + override));
    } catch (ConfigException e) {
      throw new InvalidSettingException("Cannot apply --set " + override + ": " + e.getMessage());
    }
  }

  private static void rejectUnknownKeys(Config config, Config defaults) {
    for (Map.Entry<String, ConfigValue> entry : config.entrySet()) {
      String key = entry.getKey();
      if (key.startsWith(FREE_FORM_PREFIX + ".") || defaults.hasPath(key)) {
        continue;
      }
      throw new InvalidSettingException(String.format("Unknown setting %s (from %s); known settings: %s",
          key, entry.getValue().origin().description(), knownSiblings(key, defaults)));
    }
  }

  private static String knownSiblings(String key, Config defaults) {
    int dot = key.indexOf('.');
    String group = dot < 0 ? "" : key.substring(0, dot);
    Set<String> known = new TreeSet<>();
    for (Map.Entry<String, ConfigValue> entry : defaults.entrySet()) {
      if (group.isEmpty() || entry.getKey().startsWith(group + ".")) {
        known.add(entry.getKey());
      }
    }
    return String.join(", ", known);
  }
}
