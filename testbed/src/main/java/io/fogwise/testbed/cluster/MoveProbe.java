package io.fogwise.testbed.cluster;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import java.time.Duration;

/**
 * Asks a gateway to move the publisher and measures the hand-over from outside: the gap
 * between the last message of the old epoch and the first of the new one, and whether the
 * numbering continued without loss or duplication.
 */
public final class MoveProbe {
  private MoveProbe() {}

  /**
   * One measured planned migration.
   *
   * @param from the device the publisher left
   * @param to the device it moved to
   * @param oldEpoch epoch before
   * @param newEpoch epoch after
   * @param gapMs last old-epoch message → first new-epoch message, at the observer
   * @param lost numbers skipped across the hand-over
   * @param duplicated numbers repeated across the hand-over
   * @param totalMs move request → first new-epoch message
   */
  public record Measurement(String from, String to, long oldEpoch, long newEpoch, long gapMs, long lost, long duplicated,
      long totalMs) {}

  /** Moves {@code service} (the observed publisher) to {@code layer} and measures the hand-over. */
  public static Measurement moveToLayer(LocalCluster cluster, String gatewayId, String service, Layer layer,
      Duration timeout) throws InterruptedException {
    Observer obs = cluster.observer();
    long oldEpoch = obs.currentEpoch();
    String from = obs.epoch(oldEpoch).orElseThrow().publisherId();
    int events = obs.eventCount();
    long t0 = System.nanoTime();
    ServiceResponse r = cluster.request(gatewayId, ServiceRequest.moveToLayer(service, layer));
    if (!r.ok()) {
      throw new IllegalStateException("move refused: " + r.field() + ": " + r.error());
    }
    if (!obs.awaitData(o -> o.currentEpoch() > oldEpoch, timeout)) {
      var failed = obs.events().stream().skip(events)
          .filter(e -> e.message().type() == AdaptationEvent.Type.MIGRATION_FAILED).findFirst();
      throw new IllegalStateException("no message of a new epoch within " + timeout.toSeconds() + " s of the move"
          + failed.map(f -> ": " + f.message().reason()).orElse(""));
    }
    // let stragglers of the old epoch arrive before judging the numbering
    obs.awaitData(o -> o.epoch(o.currentEpoch()).map(e -> e.count() >= 20).orElse(false), Duration.ofSeconds(5));
    Observer.EpochSeen old = obs.epoch(oldEpoch).orElseThrow();
    Observer.EpochSeen next = obs.epoch(obs.currentEpoch()).orElseThrow();
    long expected = old.lastNumber() + 1;
    return new Measurement(from, next.publisherId(), oldEpoch, next.epoch(),
        (next.firstNanos() - old.lastNanos()) / 1_000_000L,
        Math.max(0, next.firstNumber() - expected), Math.max(0, expected - next.firstNumber()),
        (next.firstNanos() - t0) / 1_000_000L);
  }
}
