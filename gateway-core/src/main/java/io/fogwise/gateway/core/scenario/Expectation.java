package io.fogwise.gateway.core.scenario;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * An action a scenario expects (or forbids): its type, the fields it must have (a {@code reason}
 * field matches if the actual reason contains it), and the window it must fall in.
 *
 * @param type the action type, one of {@link Occurred#TYPES}
 * @param fields fields that must match
 * @param fromMillis earliest scenario time
 * @param toMillis latest scenario time
 * @param window how the window was written, for reports (e.g. {@code 2.8s ±300ms})
 * @param source where it was written ({@code file:line}), or null
 */
public record Expectation(String type, Map<String, String> fields, long fromMillis, long toMillis, String window,
    String source) {

  public Expectation {
    Objects.requireNonNull(type, "type");
    if (!Occurred.TYPES.contains(type)) {
      throw new IllegalArgumentException("unknown action '" + type + "'; known: " + String.join(", ", Occurred.TYPES));
    }
    fields = Map.copyOf(fields);
    if (fromMillis > toMillis) {
      throw new IllegalArgumentException("the window ends before it starts: " + window);
    }
  }

  /** Whether {@code o} is what this expectation describes. */
  public boolean matches(Occurred o) {
    if (!o.type().equals(type) || o.atMillis() < fromMillis || o.atMillis() > toMillis) {
      return false;
    }
    for (Map.Entry<String, String> e : fields.entrySet()) {
      String actual = o.fields().get(e.getKey());
      if (actual == null) {
        return false;
      }
      boolean ok = e.getKey().equals("reason") ? actual.contains(e.getValue()) : actual.equals(e.getValue());
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** One line: {@code 2.8s ±300ms declareLost device=e1}. */
  public String describe() {
    StringBuilder sb = new StringBuilder(window.isEmpty() ? "any time" : window).append(' ').append(type);
    fields.forEach((k, v) -> sb.append(' ').append(k).append('=').append(k.equals("rule") || k.equals("reason")
        ? "\"" + v + "\"" : v));
    return sb.toString();
  }

  /** Starts an expectation of {@code type} in Java. */
  public static Builder of(String type) {
    return new Builder(type);
  }

  public static Builder declareLost(String device) {
    return of("declareLost").field("device", device);
  }

  public static Builder exclude(String service, String device) {
    return of("exclude").field("service", service).field("device", device);
  }

  public static Builder quarantine(String device) {
    return of("quarantine").field("device", device);
  }

  public static Builder migrate(String service) {
    return of("migrate").field("service", service);
  }

  /** Builds an {@link Expectation} in Java. */
  public static final class Builder {
    private final String type;
    private final Map<String, String> fields = new LinkedHashMap<>();
    private long from = 0;
    private long to = Long.MAX_VALUE;
    private String window = "";

    private Builder(String type) {
      this.type = type;
    }

    public Builder field(String key, String value) {
      fields.put(key, value);
      return this;
    }

    public Builder rule(String rule) {
      return field("rule", rule);
    }

    /** At {@code at} ± {@code tolerance}. */
    public Builder at(String at, String tolerance) {
      long t = Durations.parse(at);
      long tol = Durations.parse(tolerance);
      from = Math.max(0, t - tol);
      to = t + tol;
      window = at + " ±" + tolerance;
      return this;
    }

    /** Between {@code after} and {@code before}. */
    public Builder between(String after, String before) {
      from = Durations.parse(after);
      to = Durations.parse(before);
      window = after + ".." + before;
      return this;
    }

    public Expectation build() {
      return new Expectation(type, fields, from, to, window, null);
    }
  }
}
