package io.fogwise.gateway.reconcile;

/**
 * One instance the gateway decided to run: a service on a device with an epoch.
 *
 * @param service the service
 * @param deviceId the device
 * @param epoch the instance epoch
 * @param state STARTING until the device reports it, then RUNNING
 * @param deadlineMillis for STARTING: when to give up waiting; for RUNNING: unused
 * @param lastSeenMillis when the device last reported it (monotonic ms)
 */
public record Placement(String service, String deviceId, long epoch, State state, long deadlineMillis, long lastSeenMillis) {

  /** Where the placement is in its life. */
  public enum State {
    STARTING,
    RUNNING
  }

  Placement running(long nowMillis) {
    return new Placement(service, deviceId, epoch, State.RUNNING, 0, nowMillis);
  }

  Placement seen(long nowMillis) {
    return new Placement(service, deviceId, epoch, state, deadlineMillis, nowMillis);
  }

  /** The key the rule host tracks the matching instance fact by. */
  public String key() {
    return service + "@" + deviceId + "#" + epoch;
  }
}
