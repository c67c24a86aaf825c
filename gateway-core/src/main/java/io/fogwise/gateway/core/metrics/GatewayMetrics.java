package io.fogwise.gateway.core.metrics;

import io.fogwise.protocol.RejectReason;
import java.util.function.Supplier;

/** What a gateway measures, as a domain interface; implementations decide where it goes. */
public interface GatewayMetrics {

  /** An inbound message was rejected. */
  void rejected(String kind, RejectReason reason);

  /** A device was declared lost after {@code silenceMillis} without heartbeats. */
  void deviceLost(long silenceMillis);

  /** The reconciler issued a step of {@code type} (start, stop, abandon, ...). */
  void reconcileAction(String type);

  /** A failover: a service was placed again because its device was lost or excluded. */
  void failover(String service);

  /** A failed-over service runs again, {@code millis} after the failover was decided. */
  void recovered(long millis);

  /** A planned migration completed (taking {@code millis}) or failed. */
  void migration(boolean completed, long millis);

  /** One decision cycle took {@code nanos}. */
  void cycle(long nanos, int firings);

  /** A problem that did not stop the gateway was found ({@code kind}: policy_pointer, state_set_aside, ...). */
  void problem(String kind);

  /** {@code service} has had fewer running instances than replicas for longer than {@code service.underReplicatedMs}. */
  default void serviceDegraded(String service) {}

  /** Registers a gauge of the number of services that are degraded now. */
  default void degradedGauge(Supplier<Integer> count) {}

  /** A subscriber of {@code service}'s data reported {@code count} more message numbers it never received. */
  default void messagesMissed(String service, long count) {}

  /** The gateway's failure detection was held ({@code cause}: link, pause, mass_silence). */
  default void detectionHeld(String cause) {}

  /** A heartbeat was accepted (valid, from the device its subject names). */
  default void heartbeat() {}

  /** The gateway published an adaptation event of {@code type}. */
  default void event(io.fogwise.protocol.AdaptationEvent.Type type) {}

  /** A hand-over of a planned move left the service without an active instance for {@code millis}. */
  default void moveGap(long millis) {}

  /**
   * A rule set was built in {@code millis}: {@code how} is {@code compiled} (compiled here),
   * {@code artifact} (a signed compiled artifact loaded) or {@code failed} (did not compile).
   */
  default void rulesBuilt(String how, long millis) {}

  /** Registers gauges of device counts by state. */
  void deviceGauges(Supplier<java.util.Map<String, Integer>> counts);

  /** Metrics that go nowhere, for tests. */
  static GatewayMetrics noop() {
    return NoopGatewayMetrics.INSTANCE;
  }

}

final class NoopGatewayMetrics implements GatewayMetrics {
  static final NoopGatewayMetrics INSTANCE = new NoopGatewayMetrics();

  @Override
  public void rejected(String kind, RejectReason reason) {}

  @Override
  public void deviceLost(long silenceMillis) {}

  @Override
  public void reconcileAction(String type) {}

  @Override
  public void failover(String service) {}

  @Override
  public void recovered(long millis) {}

  @Override
  public void migration(boolean completed, long millis) {}

  @Override
  public void cycle(long nanos, int firings) {}

  @Override
  public void problem(String kind) {}

  @Override
  public void deviceGauges(Supplier<java.util.Map<String, Integer>> counts) {}
}
