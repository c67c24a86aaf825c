package io.fogwise.cloud.history;

import java.util.Objects;

/**
 * The telemetry of one device, as columns sorted by time: element {@code i} of every array is
 * one reading. The arrays are the snapshot's own; do not modify them.
 *
 * @param gatewayId the gateway the device reports to
 * @param deviceId the device
 * @param deviceClass the {@code class} in the details of the device's latest
 *     {@code DEVICE_JOINED} or {@code HEARTBEAT_TIMING} event, else {@value #DEFAULT_CLASS}
 * @param atMillis wall time of each reading, ascending
 * @param cpuLoad process CPU load, 0..1
 * @param memoryPct memory in use, 100 × used / max; NaN if max was 0
 * @param batteryPct battery level; NaN if the device reported none
 * @param temperatureC temperature; NaN if the device reported none
 */
public record DeviceSeries(String gatewayId, String deviceId, String deviceClass, long[] atMillis, double[] cpuLoad,
    double[] memoryPct, double[] batteryPct, double[] temperatureC) {
  /** The class of a device no event named one for. */
  public static final String DEFAULT_CLASS = "default";

  public DeviceSeries {
    Objects.requireNonNull(gatewayId, "gatewayId");
    Objects.requireNonNull(deviceId, "deviceId");
    Objects.requireNonNull(deviceClass, "deviceClass");
    int n = atMillis.length;
    if (cpuLoad.length != n || memoryPct.length != n || batteryPct.length != n || temperatureC.length != n) {
      throw new IllegalArgumentException("the columns of " + gatewayId + "/" + deviceId + " differ in length");
    }
  }

  /** How many readings. */
  public int size() {
    return atMillis.length;
  }
}
