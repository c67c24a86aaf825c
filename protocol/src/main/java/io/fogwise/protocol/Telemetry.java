package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.range;

import java.util.Map;

/**
 * A device's periodic reading on {@code fw.tm.<gatewayId>.<deviceId>}.
 *
 * @param deviceId the measuring device
 * @param gatewayId the gateway it reports to
 * @param atMillis wall time of the reading
 * @param cpuLoad process CPU load, 0..1 of the whole machine
 * @param memUsedBytes heap in use
 * @param memMaxBytes heap limit
 * @param batteryPct battery level 0..100, or null if the device has none
 * @param temperatureC temperature in degrees Celsius, or null if not sensed
 * @param custom further named readings
 */
public record Telemetry(
    String deviceId,
    String gatewayId,
    long atMillis,
    double cpuLoad,
    long memUsedBytes,
    long memMaxBytes,
    Double batteryPct,
    Double temperatureC,
    Map<String, Double> custom) {
  public Telemetry {
    id(deviceId, "deviceId");
    id(gatewayId, "gatewayId");
    nonNegative(atMillis, "atMillis");
    range(cpuLoad, 0, 1, "cpuLoad");
    nonNegative(memUsedBytes, "memUsedBytes");
    nonNegative(memMaxBytes, "memMaxBytes");
    if (batteryPct != null) {
      range(batteryPct, 0, 100, "batteryPct");
    }
    if (temperatureC != null) {
      range(temperatureC, -100, 300, "temperatureC");
    }
    custom = map(custom);
  }
}
