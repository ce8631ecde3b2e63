package dev.sparkvae.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The resolved, validated settings of one job run.
 *
 * <p>Layers, later wins: the defaults ({@code conf/defaults.conf}, packaged in the jar) &lt; a cluster
 * profile file &lt; a {@code --config} file &lt; {@code --set key=value} overrides ({@link SettingsLayers}). A key
 * that the defaults do not list is rejected (except under {@code cluster.spark-conf}, which is passed to Spark as
 * it is).
 * Typed getters check the value and fail with a message naming key, value and rule.
 */
public final class Settings {
  /** Classpath resource holding the defaults (a copy of {@code conf/defaults.conf}). */
  public static final String DEFAULTS_RESOURCE = "dev/sparkvae/defaults.conf";

  private final Config config;
  private final File clusterFile;

  private Settings(Config config, File clusterFile) {
    this.config = config;
    this.clusterFile = clusterFile;
  }

  /** The defaults alone (read once). */
  public static Settings defaults() {
    return Defaults.SETTINGS;
  }

  /** Holds the defaults, read on first use. */
  private static final class Defaults {
    static final Settings SETTINGS = load(null, null, List.of());
  }

  /**
   * Loads and checks settings.
   *
   * @param clusterFile a cluster profile, or null
   * @param configFile a job recipe given with {@code --config}, or null
   * @param overrides {@code key=value} strings given with {@code --set}, applied in order
   * @throws InvalidSettingException on a missing file, a syntax error or an unknown key
   */
  public static Settings load(File clusterFile, File configFile, List<String> overrides) {
    return new Settings(SettingsLayers.merge(clusterFile, configFile, overrides), clusterFile);
  }

  /** The whole resolved configuration as compact JSON (recorded in model.json). */
  public String toJson() {
    return config.root().render(ConfigRenderOptions.concise());
  }

  /** One group of settings (e.g. {@code vae}) as compact JSON, for logs. */
  public String render(String group) {
    return config.getValue(group).render(ConfigRenderOptions.concise());
  }

  /** The cluster profile file these settings were loaded with, or null for none. */
  public File clusterFile() {
    return clusterFile;
  }

  /** Where the value of {@code key} comes from, e.g. {@code conf/clusters/yarn-gpu.conf: 9}. */
  public String origin(String key) {
    return value(key).origin().description();
  }

  /** The underlying Typesafe config. */
  public Config config() {
    return config;
  }

  public String string(String key) {
    ConfigValue value = value(key);
    if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
      throw invalid(key, value, "the value must be a string");
    }
    return String.valueOf(value.unwrapped());
  }

  /** A string from a fixed set of choices (case-insensitive); returned lower-case. */
  public String oneOf(String key, String... choices) {
    String value = string(key).toLowerCase(java.util.Locale.ROOT);
    for (String choice : choices) {
      if (choice.equals(value)) {
        return value;
      }
    }
    throw invalid(key, value(key), "the value must be one of " + String.join(", ", choices));
  }

  public boolean bool(String key) {
    ConfigValue value = value(key);
    if (value.valueType() == ConfigValueType.BOOLEAN) {
      return (Boolean) value.unwrapped();
    }
    if (value.valueType() == ConfigValueType.STRING) {
      String text = ((String) value.unwrapped()).trim().toLowerCase(java.util.Locale.ROOT);
      if (text.equals("true") || text.equals("false")) {
        return Boolean.parseBoolean(text);
      }
    }
    throw invalid(key, value, "the value must be true or false");
  }

  public int positiveInt(String key) {
    long n = integer(key, "a positive integer");
    if (n <= 0 || n > Integer.MAX_VALUE) {
      throw invalid(key, value(key), "the value must be a positive integer");
    }
    return (int) n;
  }

  public int nonNegativeInt(String key) {
    long n = integer(key, "a non-negative integer");
    if (n < 0 || n > Integer.MAX_VALUE) {
      throw invalid(key, value(key), "the value must be a non-negative integer");
    }
    return (int) n;
  }

  public long anyLong(String key) {
    return integer(key, "an integer");
  }

  public double positiveDouble(String key) {
    double d = number(key, "a positive number");
    if (!(d > 0) || Double.isInfinite(d)) {
      throw invalid(key, value(key), "the value must be a positive number");
    }
    return d;
  }

  public double nonNegativeDouble(String key) {
    double d = number(key, "a non-negative number");
    if (!(d >= 0) || Double.isInfinite(d)) {
      throw invalid(key, value(key), "the value must be a non-negative number");
    }
    return d;
  }

  /** A number in [0, 1). */
  public double fraction(String key) {
    double d = number(key, "a number from 0 (inclusive) to 1 (exclusive)");
    if (!(d >= 0 && d < 1)) {
      throw invalid(key, value(key), "the value must be a number from 0 (inclusive) to 1 (exclusive)");
    }
    return d;
  }

  /** A list of positive integers; {@code allowEmpty} says whether [] is accepted. */
  public int[] positiveIntList(String key, boolean allowEmpty) {
    String rule = "the value must be a list of positive integers" + (allowEmpty ? "" : " with at least one element");
    List<Object> items = list(key, rule, item -> item instanceof Integer n && n > 0);
    if (items.isEmpty() && !allowEmpty) {
      throw invalid(key, value(key), rule);
    }
    return items.stream().mapToInt(item -> (Integer) item).toArray();
  }

  /** A list of integers (any sign). */
  public List<Integer> integerList(String key) {
    return list(key, "the value must be a list of integers", item -> item instanceof Integer).stream()
        .map(item -> (Integer) item).toList();
  }

  public List<String> stringList(String key) {
    return list(key, "the value must be a list of non-empty strings",
        item -> item instanceof String text && !text.isEmpty()).stream().map(item -> (String) item).toList();
  }

  /** The items of the list at {@code key}, each passing {@code accepted}; else the error naming {@code rule}. */
  private List<Object> list(String key, String rule, java.util.function.Predicate<Object> accepted) {
    ConfigValue value = value(key);
    if (value.valueType() != ConfigValueType.LIST) {
      throw invalid(key, value, rule);
    }
    List<Object> items = new ArrayList<>((List<?>) value.unwrapped());
    if (!items.stream().allMatch(accepted)) {
      throw invalid(key, value, rule);
    }
    return items;
  }

  /** The free-form map under {@code key} as string pairs (nested keys joined by dots). */
  public Map<String, String> stringMap(String key) {
    Map<String, String> result = new java.util.TreeMap<>();
    for (Map.Entry<String, ConfigValue> entry : config.getConfig(key).entrySet()) {
      result.put(entry.getKey().replace("\"", ""), String.valueOf(entry.getValue().unwrapped()));
    }
    return result;
  }

  private long integer(String key, String what) {
    ConfigValue value = value(key);
    Object raw = value.unwrapped();
    if (raw instanceof Integer || raw instanceof Long) {
      return ((Number) raw).longValue();
    }
    if (raw instanceof String) {
      try {
        return Long.parseLong(((String) raw).trim());
      } catch (NumberFormatException ignored) {
        // reported below
      }
    }
    throw invalid(key, value, "the value must be " + what);
  }

  private double number(String key, String what) {
    ConfigValue value = value(key);
    Object raw = value.unwrapped();
    if (raw instanceof Number) {
      return ((Number) raw).doubleValue();
    }
    if (raw instanceof String) {
      try {
        return Double.parseDouble(((String) raw).trim());
      } catch (NumberFormatException ignored) {
        // reported below
      }
    }
    throw invalid(key, value, "the value must be " + what);
  }

  private ConfigValue value(String key) {
    if (!config.hasPathOrNull(key)) {
      throw new InvalidSettingException("Missing setting " + key);
    }
    if (config.getIsNull(key)) {
      throw new InvalidSettingException("Cannot set " + key + " to null: a value is required");
    }
    return config.getValue(key);
  }

  private static InvalidSettingException invalid(String key, ConfigValue value, String rule) {
    return new InvalidSettingException(String.format("Cannot set %s to %s (from %s): %s", key,
        value.render(ConfigRenderOptions.concise()), value.origin().description(), rule));
  }
}
