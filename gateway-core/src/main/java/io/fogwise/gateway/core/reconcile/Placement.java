package io.fogwise.gateway.core.reconcile;

import io.fogwise.protocol.InstanceReport;

/**
 * One instance the gateway decided to run: a service on a device with an epoch.
 *
 * @param service the service
 * @param deviceId the device
 * @param epoch the instance epoch
 * @param state STARTING until the device reports it, then RUNNING
 * @param deadlineMillis for STARTING: when to give up waiting; for RUNNING: unused
 * @param lastSeenMillis when the device last reported it (monotonic ms)
 * @param outputs the output count last reported, or null if the service does not count output
 * @param progressMillis when the output count last grew, or the instance last became active
 *     (monotonic ms); how long ago that was is how long the instance has been stalled
 * @param version the service version it was started with
 */
public record Placement(String service, String deviceId, long epoch, State state, long deadlineMillis,
    long lastSeenMillis, Long outputs, long progressMillis, String version) {

  /** Where the placement is in its life. */
  public enum State {
    STARTING,
    RUNNING
  }

  /** A new placement waiting for its device to report it. */
  public static Placement starting(String service, String deviceId, long epoch, long deadlineMillis, long nowMillis,
      String version) {
    return new Placement(service, deviceId, epoch, State.STARTING, deadlineMillis, nowMillis, null, nowMillis, version);
  }

  /** A placement restored from durable state, trusted as running until its device says otherwise. */
  public static Placement restored(String service, String deviceId, long epoch, long nowMillis, String version) {
    return new Placement(service, deviceId, epoch, State.RUNNING, 0, nowMillis, null, nowMillis, version);
  }

  /** The placement after its device reported it at {@code now}. */
  Placement reported(InstanceReport r, long now) {
    boolean active = r.state() == InstanceReport.InstanceState.RUNNING;
    boolean progressed = !active || r.outputs() == null || outputs == null || r.outputs() > outputs;
    return new Placement(service, deviceId, epoch, State.RUNNING, 0, now, active ? r.outputs() : null,
        progressed ? now : progressMillis, version);
  }

  /**
   * How long the instance has produced no output while active, 0 if it does not count output.
   * Measured up to its device's last report, not to {@code now}: a device that is not heard from
   * at all is the failure detector's business, and the gateway's own silence (a hub restart)
   * must not make every instance look stalled.
   */
  public long stalledMillis(long now) {
    return state == State.RUNNING && outputs != null ? Math.max(0, Math.min(now, lastSeenMillis) - progressMillis) : 0;
  }

  /** The placement with its start deadline moved {@code millis} later (the gateway could not hear meanwhile). */
  Placement deadlineLater(long millis) {
    return state != State.STARTING ? this
        : new Placement(service, deviceId, epoch, state, deadlineMillis + millis, lastSeenMillis, outputs, progressMillis,
            version);
  }

  /** The key the rule host tracks the matching instance fact by. */
  public String key() {
    return service + "@" + deviceId + "#" + epoch;
  }
}
