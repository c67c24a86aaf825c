package io.fogwise.rules.model;

import java.util.Objects;

/** One placed instance of a service: which device runs it, with which epoch. */
public final class Instance {
  private final String service;
  private final String deviceId;
  private final long epoch;
  private final InstanceState state;
  private final long stalledMs;
  private final String version;

  public Instance(String service, String deviceId, long epoch, InstanceState state) {
    this(service, deviceId, epoch, state, 0, "1");
  }

  /**
   * @param stalledMs how long the instance has produced no output while active (0 if it
   *     produces, or does not count its output)
   */
  /**
   * @param version the service version the instance was started with
   */
  public Instance(String service, String deviceId, long epoch, InstanceState state, long stalledMs, String version) {
    this.service = Objects.requireNonNull(service, "service");
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.epoch = epoch;
    this.state = Objects.requireNonNull(state, "state");
    this.stalledMs = stalledMs;
    this.version = Objects.requireNonNull(version, "version");
  }

  public String getService() {
    return service;
  }

  public String getDeviceId() {
    return deviceId;
  }

  public long getEpoch() {
    return epoch;
  }

  public InstanceState getState() {
    return state;
  }

  /** Milliseconds without output while active; 0 for services that do not count output. */
  public long getStalledMs() {
    return stalledMs;
  }

  /** The service version this instance runs (the spec's version when it was started). */
  public String getVersion() {
    return version;
  }

  /** The key the gateway tracks this instance by. */
  public String key() {
    return service + "@" + deviceId + "#" + epoch;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Instance i
        && i.service.equals(service)
        && i.deviceId.equals(deviceId)
        && i.epoch == epoch
        && i.state == state
        && i.stalledMs == stalledMs
        && i.version.equals(version);
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, deviceId, epoch, state, stalledMs, version);
  }

  @Override
  public String toString() {
    return "Instance[" + key() + " " + state + (stalledMs > 0 ? " stalled " + stalledMs + " ms" : "") + "]";
  }

  /** Where the instance is in its life. */
  public enum InstanceState {
    /** The start command was sent; the device has not reported it yet. */
    STARTING,
    /** The device reports it running. */
    RUNNING
  }
}
