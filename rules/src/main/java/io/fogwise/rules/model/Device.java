package io.fogwise.rules.model;

import io.fogwise.protocol.Layer;
import java.util.Map;
import java.util.Objects;

/**
 * An edge device as rules see it. The gateway updates it in place: suspicion as time passes
 * without heartbeats, telemetry as readings arrive, state when a rule declares it lost or it
 * returns. Rules read it; they change it only through {@code actions}.
 */
public final class Device {
  private final String id;
  private Layer layer;
  private String deviceClass;
  private Map<String, String> labels;
  private DeviceState state = DeviceState.ALIVE;
  private double phi;
  private long silenceMs;
  private Double cpuLoad;
  private Double temperatureC;
  private Double batteryPct;
  private Double memoryPct;
  private Double cpuTrend;
  private Double temperatureTrend;
  private Double batteryTrend;
  private Double memoryTrend;
  private int instances;
  private int commandFailures;
  private boolean quarantined;

  public Device(String id, Layer layer, String deviceClass, Map<String, String> labels) {
    this.id = Objects.requireNonNull(id, "id");
    this.layer = Objects.requireNonNull(layer, "layer");
    this.deviceClass = Objects.requireNonNull(deviceClass, "deviceClass");
    this.labels = Map.copyOf(labels);
  }

  /** The device id. */
  public String getId() {
    return id;
  }

  /** CLOUD, FOG or EDGE. */
  public Layer getLayer() {
    return layer;
  }

  /** The class rule parameters are keyed by, e.g. {@code rpi3}; "default" if the device set none. */
  public String getDeviceClass() {
    return deviceClass;
  }

  /** Placement labels. */
  public Map<String, String> getLabels() {
    return labels;
  }

  /** The label's value, or null. */
  public String label(String key) {
    return labels.get(key);
  }

  public DeviceState getState() {
    return state;
  }

  /**
   * Suspicion that the device is gone: the phi-accrual value of the time since its last
   * heartbeat against its own heartbeat history (see docs/failure-detection.md). 1 means a
   * 10% chance the silence is normal, 3 means 0.1%, 8 means 10^-8. Rounded to 0.1.
   */
  public double getPhi() {
    return phi;
  }

  /** Milliseconds since the last heartbeat, as of the last suspicion update. */
  public long getSilenceMs() {
    return silenceMs;
  }

  /** Latest process CPU load 0..1, or null before the first telemetry. */
  public Double getCpuLoad() {
    return cpuLoad;
  }

  /** Latest temperature in °C, or null. */
  public Double getTemperatureC() {
    return temperatureC;
  }

  /** Latest battery level in percent, or null. */
  public Double getBatteryPct() {
    return batteryPct;
  }

  /** Latest memory in use, percent of the device's limit, or null. */
  public Double getMemoryPct() {
    return memoryPct;
  }

  /**
   * How fast the CPU load changes, per minute, over the last minute ({@link Trend}), or null
   * before there are enough readings. Likewise {@link #getTemperatureTrend} (°C per minute),
   * {@link #getBatteryTrend} (percentage points per minute, negative while draining) and
   * {@link #getMemoryTrend} (percentage points per minute).
   */
  public Double getCpuTrend() {
    return cpuTrend;
  }

  public Double getTemperatureTrend() {
    return temperatureTrend;
  }

  public Double getBatteryTrend() {
    return batteryTrend;
  }

  public Double getMemoryTrend() {
    return memoryTrend;
  }

  /** Number of instances placed on this device. */
  public int getInstances() {
    return instances;
  }

  /** Consecutive commands to this device that got no reply in time (0 after any reply). */
  public int getCommandFailures() {
    return commandFailures;
  }

  /** Whether policy quarantined the device: it hosts nothing until released. */
  public boolean isQuarantined() {
    return quarantined;
  }

  // Mutators are for the gateway's registry, not for rules.

  public void setQuarantined(boolean quarantined) {
    this.quarantined = quarantined;
  }

  public void setCommandFailures(int commandFailures) {
    this.commandFailures = commandFailures;
  }

  public void setPlacement(Layer layer, String deviceClass, Map<String, String> labels) {
    this.layer = layer;
    this.deviceClass = deviceClass;
    this.labels = Map.copyOf(labels);
  }

  public void setState(DeviceState state) {
    this.state = state;
  }

  public void setSuspicion(double phi, long silenceMs) {
    this.phi = phi;
    this.silenceMs = silenceMs;
  }

  public void setTelemetry(Double cpuLoad, Double temperatureC, Double batteryPct) {
    this.cpuLoad = cpuLoad;
    this.temperatureC = temperatureC;
    this.batteryPct = batteryPct;
  }

  public void setMemoryPct(Double memoryPct) {
    this.memoryPct = memoryPct;
  }

  public void setTrends(Double cpuTrend, Double temperatureTrend, Double batteryTrend, Double memoryTrend) {
    this.cpuTrend = cpuTrend;
    this.temperatureTrend = temperatureTrend;
    this.batteryTrend = batteryTrend;
    this.memoryTrend = memoryTrend;
  }

  public void setInstances(int instances) {
    this.instances = instances;
  }

  @Override
  public String toString() {
    return "Device[" + id + " " + layer + " " + state + " phi=" + phi + "]";
  }
}
