package dev.sparkvae.ml;

import dev.sparkvae.config.CheckpointSettings;
import dev.sparkvae.config.InvalidSettingException;
import dev.sparkvae.config.Settings;
import dev.sparkvae.training.VaeTraining;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;

/**
 * Params bound to keys of {@code conf/defaults.conf}: a param's default is its key's, and a value is checked as that
 * key's value in a training run, so that the params and the {@code train} job share one declaration and one rule.
 */
final class ParamSettings {
  private ParamSettings() {}

  /** The default of {@code key} in conf/defaults.conf, as a value of {@code param}. */
  static Object defaultOf(String key, Param<?> param) {
    Object value = Settings.defaults().config().getAnyRef(key);
    return value instanceof List<?> list ? list.stream().mapToInt(item -> (Integer) item).toArray()
        : param instanceof LongParam ? ((Number) value).longValue()
        : param instanceof DoubleParam ? ((Number) value).doubleValue() : value;
  }

  /** The validator of a param bound to {@code key}: the value must be valid there. */
  static <T> ParamRule<T> rule(String param, String key) {
    return ParamRule.of(param, (T value) -> problem(List.of(key + "=" + hocon(value))));
  }

  /** What the settings make of {@code pairs} (key=value), or null when every setting of a training run is valid. */
  static String problem(List<String> pairs) {
    try {
      Settings checked = Settings.load(null, null, pairs);
      VaeTraining.Recipe.from(checked);
      CheckpointSettings.from(checked);
      return null;
    } catch (InvalidSettingException e) {
      return e.getMessage();
    }
  }

  /** A param value as a HOCON value. */
  static String hocon(Object value) {
    if (value instanceof int[] ints) {
      return Arrays.toString(ints);
    }
    return value instanceof String text ? "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
        : String.valueOf(value);
  }
}
