package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.list;

import java.util.List;

/**
 * A subscriber's periodic report, per publishing service, on its stats subject.
 *
 * @param subscriberId the device hosting the subscriber
 * @param service the subscriber service name
 * @param subject the data subject it listens to
 * @param atMillis wall time of the report
 * @param rejected messages on the data subject that failed validation
 * @param publishers one entry per publishing service seen
 */
public record SubscriberStats(
    String subscriberId, String service, String subject, long atMillis, long rejected, List<PublisherStats> publishers) {
  public SubscriberStats {
    id(subscriberId, "subscriberId");
    id(service, "service");
    publishers = list(publishers, "publishers");
  }

  /**
   * What one subscriber saw from one publishing service.
   *
   * @param service the publishing service
   * @param epoch the highest epoch seen
   * @param received messages accepted (not duplicates, not stale)
   * @param gaps sequence gaps within an epoch (a gap of any length counts once)
   * @param missing message numbers skipped within an epoch
   * @param duplicates messages whose (epoch, number) was already seen
   * @param staleEpoch messages from an epoch older than the highest seen
   * @param unissuedEpoch messages whose epoch the gateway never issued for that service (forged or
   *     misrouted), rejected: they neither count as received nor move the epoch forward
   * @param latencyP50Micros median end-to-end latency
   * @param latencyP99Micros 99th percentile
   * @param latencyMaxMicros maximum
   * @param latencyMeanMicros mean
   */
  public record PublisherStats(
      String service,
      long epoch,
      long received,
      long gaps,
      long missing,
      long duplicates,
      long staleEpoch,
      long unissuedEpoch,
      long latencyP50Micros,
      long latencyP99Micros,
      long latencyMaxMicros,
      double latencyMeanMicros) {}
}
