package io.fogwise.rules.model;

import java.util.Objects;
import org.kie.api.definition.type.Expires;
import org.kie.api.definition.type.Role;

/**
 * One telemetry reading of a device, as an event: rules use readings for sustained windows
 * ("above 80 °C for 30 s"). Readings expire after 10 minutes.
 */
@Role(Role.Type.EVENT)
@Expires("10m")
public final class Reading {
  private final String deviceId;
  private final long atMillis;
  private final Double temperatureC;
  private final Double batteryPct;
  private final double cpuLoad;
  private final Double memoryPct;

  /**
   * @param deviceId the device
   * @param atMillis when the gateway received it, on the rule clock ({@link Tick#getNowMillis()})
   * @param temperatureC temperature, or null if not sensed
   * @param batteryPct battery level, or null
   * @param cpuLoad process CPU load 0..1
   */
  public Reading(String deviceId, long atMillis, Double temperatureC, Double batteryPct, double cpuLoad) {
    this(deviceId, atMillis, temperatureC, batteryPct, cpuLoad, null);
  }

  /**
   * @param memoryPct memory in use, percent of the device's limit, or null if not reported
   */
  public Reading(String deviceId, long atMillis, Double temperatureC, Double batteryPct, double cpuLoad,
      Double memoryPct) {
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.atMillis = atMillis;
    this.temperatureC = temperatureC;
    this.batteryPct = batteryPct;
    this.cpuLoad = cpuLoad;
    this.memoryPct = memoryPct;
  }

  public String getDeviceId() {
    return deviceId;
  }

  /** When it arrived, on the rule clock (compare with {@code Tick.nowMillis}). */
  public long getAtMillis() {
    return atMillis;
  }

  /** Temperature in °C, or null. */
  public Double getTemperatureC() {
    return temperatureC;
  }

  /** Battery level in percent, or null. */
  public Double getBatteryPct() {
    return batteryPct;
  }

  public double getCpuLoad() {
    return cpuLoad;
  }

  /** Memory in use, percent of the device's limit, or null. */
  public Double getMemoryPct() {
    return memoryPct;
  }

  @Override
  public String toString() {
    return "Reading[" + deviceId + " @" + atMillis + " " + temperatureC + " °C]";
  }
}
