package io.fogwise.gateway.core.scenario;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.rules.Action;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Something that happened during a scenario, at a scenario time, in the words scenarios use.
 * Either an action the rules took — {@code declareLost}, {@code exclude}, {@code quarantine},
 * {@code release}, {@code migrate}, {@code setReplicas}, {@code restart}, {@code setParameter},
 * {@code alert} — or what the gateway's engine then did about it — {@code starting},
 * {@code started}, {@code startFailed}, {@code stopped}, {@code fenced}, {@code abandoned},
 * {@code migrated}, {@code migrationFailed}, {@code exclusionLifted}; with fields ({@code device}, {@code service},
 * {@code layer}, {@code replicas}, {@code key}, {@code value}, {@code epoch}, {@code rule},
 * {@code reason}).
 *
 * @param action the rule action, or null for what the engine did
 */
public record Occurred(long atMillis, String type, Map<String, String> fields, Action action) {

  /** What the engine did, by the adaptation event that says so. */
  private static final Map<AdaptationEvent.Type, String> ENGINE = Map.of(
      AdaptationEvent.Type.INSTANCE_STARTING, "starting",
      AdaptationEvent.Type.INSTANCE_STARTED, "started",
      AdaptationEvent.Type.INSTANCE_START_FAILED, "startFailed",
      AdaptationEvent.Type.INSTANCE_STOPPED, "stopped",
      AdaptationEvent.Type.INSTANCE_FENCED, "fenced",
      AdaptationEvent.Type.INSTANCE_ABANDONED, "abandoned",
      AdaptationEvent.Type.MIGRATION_COMPLETED, "migrated",
      AdaptationEvent.Type.MIGRATION_FAILED, "migrationFailed",
      AdaptationEvent.Type.EXCLUSION_LIFTED, "exclusionLifted");

  /** The types scenarios may name: rule actions, then engine events. */
  public static final java.util.List<String> TYPES = java.util.List.of("declareLost", "exclude", "quarantine", "release",
      "migrate", "setReplicas", "restart", "setParameter", "alert",
      "starting", "started", "startFailed", "stopped", "fenced", "abandoned", "migrated", "migrationFailed",
      "exclusionLifted");

  /** The scenario view of an engine event at {@code atMillis}, or null if scenarios do not name that type. */
  public static Occurred of(long atMillis, AdaptationEvent e) {
    String type = ENGINE.get(e.type());
    if (type == null) {
      return null;
    }
    Map<String, String> f = new LinkedHashMap<>();
    if (e.deviceId() != null) {
      f.put("device", e.deviceId());
    }
    if (e.service() != null) {
      f.put("service", e.service());
      f.put("epoch", Long.toString(e.epoch()));
    }
    if (e.reason() != null) {
      f.put("reason", e.reason());
    }
    return new Occurred(atMillis, type, java.util.Collections.unmodifiableMap(f), null);
  }

  /** Whether the rules took this (rather than the engine doing it). */
  public boolean isRuleAction() {
    return action != null;
  }

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
