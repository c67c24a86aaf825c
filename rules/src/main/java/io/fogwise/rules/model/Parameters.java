package io.fogwise.rules.model;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Policy parameters rules read, so the cloud can tune policy without rewriting rules. A key
 * may be specialised per device class as {@code key@class}; lookups fall back to the plain
 * key, then to the built-in default.
 */
public final class Parameters {
  /** Built-in defaults. */
  public static final Map<String, String> DEFAULTS =
      Map.ofEntries(
          Map.entry("detect.phiThreshold", "8.0"),
          // the gateway's own silence (docs/operating.md, "When the silence is the gateway's own"):
          // after its NATS link is back, or after it was paused, detection waits this long for devices
          // to reconnect; the whole outage plus this is not counted as any device's silence
          Map.entry("detect.settleMs", "2000"),
          // this share of the alive devices silent at once (at least massSilenceMinDevices of them,
          // each with a suspicion of at least massSilencePhi) is the gateway's own partition, not
          // that many deaths: no device is declared lost for up to massSilenceHoldMs, then, if the
          // gateway's own link is healthy, an ALERT and failover as usual
          Map.entry("detect.massSilenceFraction", "0.5"),
          Map.entry("detect.massSilenceMinDevices", "3"),
          Map.entry("detect.massSilencePhi", "3.0"),
          Map.entry("detect.massSilenceHoldMs", "10000"),
          Map.entry("failover.exclusionMs", "600000"),
          // a device that returned regains the services it was excluded from after this long without
          // being lost again
          Map.entry("failover.returnProbationMs", "30000"),
          // a service with fewer running instances than replicas for this long is DEGRADED (ALERT,
          // metric, /health)
          Map.entry("service.underReplicatedMs", "5000"),
          Map.entry("service.stallMs", "2000"),
          Map.entry("service.commandFailures", "3"),
          Map.entry("replication.criticalReplicas", "2"),
          Map.entry("compliance.maxTemperatureC", "80"),
          Map.entry("compliance.sustainMs", "30000"),
          Map.entry("compliance.quarantineMs", "1800000"),
          Map.entry("latency.windowMs", "10000"),
          Map.entry("latency.breaches", "3"),
          Map.entry("damping.holdMs", "300000"),
          // how often the gateway reports each device's heartbeat arrival intervals (HEARTBEAT_TIMING
          // events, what the cloud miner learns detection thresholds from); 0 turns the reports off
          Map.entry("history.heartbeatTimingMs", "30000"));

  private final Map<String, String> values;

  public Parameters(Map<String, String> values) {
    Map<String, String> m = new TreeMap<>(DEFAULTS);
    m.putAll(values);
    this.values = Map.copyOf(m);
  }

  /** Only the defaults. */
  public static Parameters defaults() {
    return new Parameters(Map.of());
  }

  /** The numeric value of {@code key} for {@code deviceClass}. */
  public double number(String key, String deviceClass) {
    String v = values.get(key + "@" + deviceClass);
    if (v == null) {
      v = values.get(key);
    }
    if (v == null) {
      throw new IllegalArgumentException("unknown parameter '" + key + "'");
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("parameter '" + key + "' is not a number: '" + v + "'", e);
    }
  }

  /** The numeric value of {@code key} for {@code deviceClass}, or {@code dflt} if it is not set at all. */
  public double number(String key, String deviceClass, double dflt) {
    if (!values.containsKey(key + "@" + deviceClass) && !values.containsKey(key)) {
      return dflt;
    }
    return number(key, deviceClass);
  }

  /** Whether {@code key} is set (for any device class when {@code key} has no class suffix). */
  public boolean has(String key) {
    return values.containsKey(key);
  }

  /** The numeric value of {@code key}. */
  public double number(String key) {
    return number(key, "");
  }

  /** A copy with {@code key} set. */
  public Parameters with(String key, String value) {
    Objects.requireNonNull(key, "key");
    Map<String, String> m = new TreeMap<>(values);
    m.put(key, value);
    return new Parameters(m);
  }

  /** All values, defaults included. */
  public Map<String, String> values() {
    return values;
  }

  @Override
  public String toString() {
    return "Parameters" + values;
  }
}
