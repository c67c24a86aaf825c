package io.fogwise.testbed.fleet;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.Telemetry;
import java.util.AbstractList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.RandomAccess;

/**
 * One simulated device from its first heartbeat to its death or the end of the fleet: what it
 * sent (telemetry, heartbeats), when its heartbeats arrived at its gateway, and the hidden labels
 * (failure mode, precursor start, look-alike episodes) that only the benchmark's scoring reads.
 *
 * <p>Readings are kept as columns of primitives, so a 1M-reading fleet costs tens of megabytes;
 * {@link #telemetry()} makes the {@link Telemetry} records on demand.
 */
public final class DeviceTrace {
  private final String deviceId;
  private final String gatewayId;
  private final String deviceClass;
  private final int heartbeatMs;
  private final boolean batteryPowered;
  private final long memMaxBytes;
  private final long[] at;
  private final double[] cpu;
  private final long[] mem;
  private final double[] battery;
  private final double[] temperature;
  private final long[] heartbeatSent;
  private final long[] heartbeatArrived;
  private final long deathMillis;
  private final long lostMillis;
  private final FailureMode mode;
  private final long precursorStartMillis;
  private final List<LookAlike> lookAlikes;

  DeviceTrace(String deviceId, String gatewayId, String deviceClass, int heartbeatMs, boolean batteryPowered,
      long memMaxBytes, long[] at, double[] cpu, long[] mem, double[] battery, double[] temperature,
      long[] heartbeatSent, long[] heartbeatArrived, long deathMillis, long lostMillis, FailureMode mode, long precursorStartMillis,
      List<LookAlike> lookAlikes) {
    this.deviceId = deviceId;
    this.gatewayId = gatewayId;
    this.deviceClass = deviceClass;
    this.heartbeatMs = heartbeatMs;
    this.batteryPowered = batteryPowered;
    this.memMaxBytes = memMaxBytes;
    this.at = at;
    this.cpu = cpu;
    this.mem = mem;
    this.battery = battery;
    this.temperature = temperature;
    this.heartbeatSent = heartbeatSent;
    this.heartbeatArrived = heartbeatArrived;
    this.deathMillis = deathMillis;
    this.lostMillis = lostMillis;
    this.mode = mode;
    this.precursorStartMillis = precursorStartMillis;
    this.lookAlikes = List.copyOf(lookAlikes);
  }

  /** The device's id, e.g. {@code d-0042}. */
  public String deviceId() {
    return deviceId;
  }

  /** The gateway it reports to. */
  public String gatewayId() {
    return gatewayId;
  }

  /** Its device class. */
  public String deviceClass() {
    return deviceClass;
  }

  /** Its layer: every simulated device is an edge device. */
  public Layer layer() {
    return Layer.EDGE;
  }

  /** Its announced heartbeat interval. */
  public int heartbeatMs() {
    return heartbeatMs;
  }

  /** Whether it has a battery (mains-powered devices report no battery level). */
  public boolean batteryPowered() {
    return batteryPowered;
  }

  /** Its heap limit. */
  public long memMaxBytes() {
    return memMaxBytes;
  }

  /** Its telemetry, in time order. */
  public List<Telemetry> telemetry() {
    return new Readings();
  }

  /** How many telemetry readings it sent. */
  public int telemetryCount() {
    return at.length;
  }

  /** Simulated wall time of reading {@code i}. */
  public long telemetryAt(int i) {
    return at[i];
  }

  /** Reading {@code i}. */
  public Telemetry telemetry(int i) {
    return new Telemetry(deviceId, gatewayId, at[i], cpu[i], mem[i], memMaxBytes,
        Double.isNaN(battery[i]) ? null : battery[i], temperature[i], null);
  }

  /** When it sent its heartbeats, in order. */
  public long[] heartbeatSentMillis() {
    return heartbeatSent.clone();
  }

  /** When its heartbeats arrived at the gateway, in order (network delay and jitter included). */
  public long[] heartbeatArrivalMillis() {
    return heartbeatArrived.clone();
  }

  /** How many heartbeats arrived. */
  public int heartbeatCount() {
    return heartbeatArrived.length;
  }

  /** When its first heartbeat arrived, when it joined as the gateway sees it. */
  public long joinedMillis() {
    return heartbeatArrived.length == 0 ? at[0] : heartbeatArrived[0];
  }

  /** When it died, or empty if it lived to the end of the fleet. */
  public OptionalLong deathMillis() {
    return deathMillis < 0 ? OptionalLong.empty() : OptionalLong.of(deathMillis);
  }

  /**
   * When its gateway declared it lost (the simulated detector's {@code DEVICE_LOST}), or empty
   * if it did not die or the fleet ended first.
   */
  public OptionalLong lostMillis() {
    return lostMillis < 0 ? OptionalLong.empty() : OptionalLong.of(lostMillis);
  }

  /** Hidden label: how it died, or empty if it did not. */
  public Optional<FailureMode> failureMode() {
    return Optional.ofNullable(mode);
  }

  /** Hidden label: when its precursor phase began, or empty (no failure, or a crash). */
  public OptionalLong precursorStartMillis() {
    return precursorStartMillis < 0 ? OptionalLong.empty() : OptionalLong.of(precursorStartMillis);
  }

  /** Hidden label: its harmless look-alike episodes, in time order. */
  public List<LookAlike> lookAlikes() {
    return lookAlikes;
  }

  @Override
  public String toString() {
    return deviceId + "@" + gatewayId + " (" + deviceClass + ", " + at.length + " readings"
        + (mode == null ? "" : ", " + mode + " at " + deathMillis) + ")";
  }

  long[] arrivedRaw() {
    return heartbeatArrived;
  }

  private final class Readings extends AbstractList<Telemetry> implements RandomAccess {
    @Override
    public Telemetry get(int i) {
      Objects.checkIndex(i, at.length);
      return telemetry(i);
    }

    @Override
    public int size() {
      return at.length;
    }
  }

}
