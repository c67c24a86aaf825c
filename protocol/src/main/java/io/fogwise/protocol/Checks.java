package io.fogwise.protocol;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Field checks used by the message records' constructors. */
final class Checks {
  /** Identifiers become NATS subject tokens: no dots, spaces or wildcards. */
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private Checks() {}

  static <T> T required(T value, String field) {
    if (value == null) {
      throw ProtocolViolation.missing(field);
    }
    return value;
  }

  static String id(String value, String field) {
    required(value, field);
    if (!ID.matcher(value).matches()) {
      throw ProtocolViolation.invalid(field, "must be 1-64 of [A-Za-z0-9_-], got '" + abbreviate(value) + "'");
    }
    return value;
  }

  static String optionalId(String value, String field) {
    return value == null ? null : id(value, field);
  }

  static long nonNegative(long value, String field) {
    if (value < 0) {
      throw ProtocolViolation.invalid(field, "must be >= 0, got " + value);
    }
    return value;
  }

  static double range(Double value, double min, double max, String field) {
    required(value, field);
    if (value.isNaN() || value < min || value > max) {
      throw ProtocolViolation.invalid(field, "must be within [" + min + ", " + max + "], got " + value);
    }
    return value;
  }

  static <K, V> Map<K, V> map(Map<K, V> m) {
    return m == null ? Map.of() : Map.copyOf(m);
  }

  static <T> List<T> list(List<T> l, String field) {
    if (l == null) {
      return List.of();
    }
    for (T t : l) {
      if (t == null) {
        throw ProtocolViolation.invalid(field, "must not contain null");
      }
    }
    return List.copyOf(l);
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
