package io.fogwise.gateway.core.scenario;

import io.fogwise.rules.Action;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An action the rules took during a scenario, at a scenario time, in the words scenarios use:
 * a type ({@code declareLost}, {@code exclude}, {@code quarantine}, {@code release},
 * {@code migrate}, {@code setReplicas}, {@code restart}, {@code setParameter}, {@code alert})
 * and fields ({@code device}, {@code service}, {@code layer}, {@code replicas}, {@code key},
 * {@code value}, {@code rule}, {@code reason}).
 */
public record Occurred(long atMillis, String type, Map<String, String> fields, Action action) {

  /** The action types scenarios may name. */
  public static final java.util.List<String> TYPES = java.util.List.of("declareLost", "exclude", "quarantine", "release",
      "migrate", "setReplicas", "restart", "setParameter", "alert");

  /** The scenario view of {@code a}, taken at {@code atMillis}. */
  public static Occurred of(long atMillis, Action a) {
    Map<String, String> f = new LinkedHashMap<>();
    String type;
    if (a instanceof Action.DeclareLost x) {
      type = "declareLost";
      f.put("device", x.deviceId());
    } else if (a instanceof Action.Exclude x) {
      type = "exclude";
      f.put("service", x.service());
      f.put("device", x.deviceId());
    } else if (a instanceof Action.Quarantine x) {
      type = "quarantine";
      f.put("device", x.deviceId());
    } else if (a instanceof Action.Release x) {
      type = "release";
      f.put("device", x.deviceId());
    } else if (a instanceof Action.Migrate x) {
      type = "migrate";
      f.put("service", x.service());
      if (x.layer() != null) {
        f.put("layer", x.layer().name());
      } else {
        f.put("device", x.deviceId());
      }
    } else if (a instanceof Action.SetReplicas x) {
      type = "setReplicas";
      f.put("service", x.service());
      f.put("replicas", Integer.toString(x.replicas()));
    } else if (a instanceof Action.Restart x) {
      type = "restart";
      f.put("service", x.service());
      f.put("device", x.deviceId());
    } else if (a instanceof Action.SetParameter x) {
      type = "setParameter";
      f.put("key", x.key());
      f.put("value", x.value());
    } else if (a instanceof Action.Alert) {
      type = "alert";
    } else {
      throw new IllegalStateException("unknown action " + a);
    }
    if (a.rule() != null) {
      f.put("rule", a.rule());
    }
    if (a.reason() != null) {
      f.put("reason", a.reason());
    }
    return new Occurred(atMillis, type, Map.copyOf(f), a);
  }

  /** One line: {@code 2.825s declareLost device=e1 [rule "..."]: reason}. */
  public String describe() {
    StringBuilder sb = new StringBuilder(Durations.format(atMillis)).append(' ').append(type);
    fields.forEach((k, v) -> {
      if (!k.equals("rule") && !k.equals("reason")) {
        sb.append(' ').append(k).append('=').append(v);
      }
    });
    return sb.toString();
  }
}
