package io.fogwise.rules.model;

import java.util.Objects;

/** One placed instance of a service: which device runs it, with which epoch. */
public final class Instance {
  private final String service;
  private final String deviceId;
  private final long epoch;
  private final InstanceState state;

  public Instance(String service, String deviceId, long epoch, InstanceState state) {
    this.service = Objects.requireNonNull(service, "service");
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.epoch = epoch;
    this.state = Objects.requireNonNull(state, "state");
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
        && i.state == state;
  }

  @Override
  public int hashCode() {
    return Objects.hash(service, deviceId, epoch, state);
  }

  @Override
  public String toString() {
    return "Instance[" + key() + " " + state + "]";
  }

  /** Where the instance is in its life. */
  public enum InstanceState {
    /** The start command was sent; the device has not reported it yet. */
    STARTING,
    /** The device reports it running. */
    RUNNING
  }
}
