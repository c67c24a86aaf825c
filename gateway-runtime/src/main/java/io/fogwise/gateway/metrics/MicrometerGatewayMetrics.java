package io.fogwise.gateway.metrics;

import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.protocol.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

public final class MicrometerGatewayMetrics implements GatewayMetrics {
  private final MeterRegistry registry;
  private final String gatewayId;
  private final Counter detections;
  private final Timer detectionSilence;
  private final Timer recovery;
  private final Timer migrationTime;
  private final Timer cycle;

  public MicrometerGatewayMetrics(MeterRegistry registry, String gatewayId) {
    this.registry = registry;
    this.gatewayId = gatewayId;
    this.detections = Counter.builder("fogwise_detections").description("devices declared lost")
        .tag("gateway", gatewayId).register(registry);
    this.detectionSilence = Timer.builder("fogwise_detection").description("heartbeat silence before a device was declared lost")
        .tag("gateway", gatewayId).register(registry);
    this.recovery = Timer.builder("fogwise_recovery").description("failover decided until the replacement instance runs")
        .tag("gateway", gatewayId).register(registry);
    this.migrationTime = Timer.builder("fogwise_migration").description("planned migration, start to old instance released")
        .tag("gateway", gatewayId).register(registry);
    this.cycle = Timer.builder("fogwise_decision_cycle").description("one suspicion + rules + reconcile cycle")
        .tag("gateway", gatewayId).register(registry);
  }

  @Override
  public void rejected(String kind, RejectReason reason) {
    Counter.builder("fogwise_rejected_messages").tag("gateway", gatewayId).tag("subject", kind)
        .tag("reason", reason.tag()).register(registry).increment();
  }

  @Override
  public void deviceLost(long silenceMillis) {
    detections.increment();
    detectionSilence.record(silenceMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void reconcileAction(String type) {
    Counter.builder("fogwise_reconcile_actions").tag("gateway", gatewayId).tag("action", type)
        .register(registry).increment();
  }

  @Override
  public void failover(String service) {
    Counter.builder("fogwise_failovers").tag("gateway", gatewayId).register(registry).increment();
  }

  @Override
  public void recovered(long millis) {
    recovery.record(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void migration(boolean completed, long millis) {
    Counter.builder("fogwise_migrations").tag("gateway", gatewayId).tag("outcome", completed ? "completed" : "failed")
        .register(registry).increment();
    if (completed) {
      migrationTime.record(millis, TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void cycle(long nanos, int firings) {
    cycle.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void problem(String kind) {
    Counter.builder("fogwise_problems").description("problems found that did not stop the gateway, by kind")
        .tag("gateway", gatewayId).tag("kind", kind).register(registry).increment();
  }

  @Override
  public void serviceDegraded(String service) {
    Counter.builder("fogwise_services_degraded").description("services short of running instances for too long, per episode")
        .tag("gateway", gatewayId).tag("service", service).register(registry).increment();
  }

  @Override
  public void degradedGauge(Supplier<Integer> count) {
    Gauge.builder("fogwise_degraded_services", count::get).description("services degraded now")
        .tag("gateway", gatewayId).register(registry);
  }

  @Override
  public void messagesMissed(String service, long count) {
    Counter.builder("fogwise_messages_missed").description("message numbers subscribers reported they never received")
        .tag("gateway", gatewayId).tag("service", service).register(registry).increment(count);
  }

  @Override
  public void detectionHeld(String cause) {
    Counter.builder("fogwise_detection_holds").description("times failure detection was held, by cause")
        .tag("gateway", gatewayId).tag("cause", cause).register(registry).increment();
  }

  @Override
  public void deviceGauges(Supplier<Map<String, Integer>> counts) {
    for (String state : counts.get().keySet()) {
      Gauge.builder("fogwise_devices", () -> counts.get().getOrDefault(state, 0))
          .tag("gateway", gatewayId).tag("state", state).register(registry);
    }
  }
}
