package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.list;
import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

import java.util.List;
import java.util.Map;

/**
 * An edge agent's periodic liveness message on {@code fw.hb.<gatewayId>.<deviceId>}. It also
 * carries the device's placement (layer, labels, class) so the gateway learns devices from
 * their first heartbeat, and the instances the device runs, which is the gateway's view of
 * actual state.
 *
 * @param deviceId the sending device
 * @param gatewayId the gateway it reports to
 * @param seq sequence number, increasing by one per heartbeat of this agent process
 * @param sentAtMillis wall time at the sender (informational: clocks are not trusted)
 * @param intervalMs the agent's configured heartbeat interval
 * @param layer CLOUD, FOG or EDGE
 * @param deviceClass the device class rule parameters are keyed by ("default" if unset)
 * @param labels placement labels
 * @param instances the instances this device hosts now
 * @param kinds the service kinds this device can run (its built-in kinds, or with a container
 *     runtime the kinds it has images for); empty when the agent does not say (an older agent),
 *     which the gateway reads as "unknown", never as "none" (omitted from JSON when empty, so a
 *     heartbeat without it reads as before)
 */
public record Heartbeat(
    String deviceId,
    String gatewayId,
    long seq,
    long sentAtMillis,
    int intervalMs,
    Layer layer,
    String deviceClass,
    Map<String, String> labels,
    List<InstanceReport> instances,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
    List<String> kinds) {
  /**
   * The label a sensor-only device (an MQTT sensor, no Fogwise agent) sets to {@code "true"}: it
   * reports heartbeats and telemetry and hosts nothing, so no instance is ever placed on it,
   * whatever a service's placement says.
   */
  public static final String SENSOR_LABEL = "fw.sensor";

  /** Whether {@code labels} mark a sensor-only device ({@link #SENSOR_LABEL}). */
  public static boolean isSensor(Map<String, String> labels) {
    return labels != null && "true".equals(labels.get(SENSOR_LABEL));
  }

  /** At most this many kinds are announced (a heartbeat stays small). */
  public static final int MAX_KINDS = 64;

  public Heartbeat {
    id(deviceId, "deviceId");
    id(gatewayId, "gatewayId");
    nonNegative(seq, "seq");
    nonNegative(sentAtMillis, "sentAtMillis");
    if (intervalMs < 10 || intervalMs > 60_000) {
      throw ProtocolViolation.invalid("intervalMs", "must be within [10, 60000], got " + intervalMs);
    }
    required(layer, "layer");
    deviceClass = deviceClass == null ? "default" : id(deviceClass, "deviceClass");
    labels = map(labels);
    instances = list(instances, "instances");
    kinds = list(kinds, "kinds");
    if (kinds.size() > MAX_KINDS) {
      throw ProtocolViolation.invalid("kinds", "at most " + MAX_KINDS + " kinds, got " + kinds.size());
    }
    for (int i = 0; i < kinds.size(); i++) {
      id(kinds.get(i), "kinds[" + i + "]");
    }
  }

  /** A heartbeat that does not announce its kinds. */
  public Heartbeat(String deviceId, String gatewayId, long seq, long sentAtMillis, int intervalMs, Layer layer,
      String deviceClass, Map<String, String> labels, List<InstanceReport> instances) {
    this(deviceId, gatewayId, seq, sentAtMillis, intervalMs, layer, deviceClass, labels, instances, List.of());
  }
}
