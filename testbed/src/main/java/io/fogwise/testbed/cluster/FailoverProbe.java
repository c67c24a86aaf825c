package io.fogwise.testbed.cluster;

import io.fogwise.protocol.AdaptationEvent;
import java.time.Duration;
import java.util.Optional;

/**
 * Kills the device hosting the publisher and measures, from the outside, how long the
 * gateway took to notice and how long until the first message of a new publisher epoch.
 */
public final class FailoverProbe {
  private FailoverProbe() {}

  /**
   * One measured failover.
   *
   * @param device the killed device
   * @param oldEpoch the publisher epoch before the kill
   * @param newEpoch the first new epoch seen
   * @param newDevice where the new epoch runs
   * @param detectMs kill → the gateway's DEVICE_LOST event received by the observer
   * @param recoverMs kill → first message of the new epoch received by the observer
   * @param outageMs last message of the old epoch → first of the new
   */
  public record Measurement(String device, long oldEpoch, long newEpoch, String newDevice, long detectMs,
      long recoverMs, long outageMs) {}

  /** Thrown when the failover did not complete within the timeout. */
  public static final class FailoverTimeout extends RuntimeException {
    FailoverTimeout(String message) {
      super(message);
    }
  }

  /** Kills the publisher's device with SIGKILL and measures the failover. */
  public static Measurement killPublisherHost(LocalCluster cluster, Duration timeout) throws InterruptedException {
    Observer obs = cluster.observer();
    long oldEpoch = obs.currentEpoch();
    if (oldEpoch < 0) {
      throw new IllegalStateException("no publisher traffic observed yet");
    }
    String victim = obs.epoch(oldEpoch).orElseThrow().publisherId();
    int eventsAtKill = obs.eventCount();
    long killNanos = cluster.kill(victim);
    Optional<Observer.Received<AdaptationEvent>> lost = obs.awaitEvent(eventsAtKill,
        e -> e.type() == AdaptationEvent.Type.DEVICE_LOST && victim.equals(e.deviceId()), timeout);
    if (lost.isEmpty()) {
      throw new FailoverTimeout("the gateway did not declare " + victim + " lost within " + timeout.toSeconds() + " s");
    }
    if (!obs.awaitData(o -> o.currentEpoch() > oldEpoch, timeout)) {
      throw new FailoverTimeout("no message from a new publisher epoch within " + timeout.toSeconds() + " s of the kill");
    }
    Observer.EpochSeen next = obs.epoch(obs.currentEpoch()).orElseThrow();
    Observer.EpochSeen old = obs.epoch(oldEpoch).orElseThrow();
    return new Measurement(victim, oldEpoch, next.epoch(), next.publisherId(),
        (lost.get().nanos() - killNanos) / 1_000_000L,
        (next.firstNanos() - killNanos) / 1_000_000L,
        (next.firstNanos() - old.lastNanos()) / 1_000_000L);
  }
}
