package dev.sparkvae.ml;

import java.io.Serializable;
import java.util.function.Function;
import scala.runtime.AbstractFunction1;

/**
 * A Spark ML param validator that fails with a clear message: it returns true for a good value and throws an
 * {@link IllegalArgumentException} naming the param, the value and the rule for a bad one (Spark's own message
 * names neither the rule nor the value's origin). Serializable, as params travel with their owner.
 */
final class ParamRule<T> extends AbstractFunction1<T, Object> implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The problem with a value, or null when it is good. */
  interface Check<T> extends Function<T, String>, Serializable {}

  private final String param;
  private final Check<T> check;

  private ParamRule(String param, Check<T> check) {
    this.param = param;
    this.check = check;
  }

  static <T> ParamRule<T> of(String param, Check<T> check) {
    return new ParamRule<>(param, check);
  }

  /** Integers of at least 1. */
  static ParamRule<Object> positive(String param) {
    return of(param, v -> ((Integer) v) > 0 ? null : "the value must be a positive integer");
  }

  @Override
  public Object apply(T value) {
    String problem = check.apply(value);
    if (problem != null) {
      throw new IllegalArgumentException("Cannot set param " + param + " to " + show(value) + ": " + problem);
    }
    return true;
  }

  private static String show(Object value) {
    return value instanceof Object[] array ? java.util.Arrays.toString(array)
        : value instanceof int[] ints ? java.util.Arrays.toString(ints) : String.valueOf(value);
  }
}
