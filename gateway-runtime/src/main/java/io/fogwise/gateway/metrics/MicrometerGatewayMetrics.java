package io.fogwise.gateway.metrics;

import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The gateway's metrics in a Micrometer registry (Prometheus text on {@code /metrics}). Every
 * series has a description (the HELP line); counters with a known set of tag values are
 * registered at zero, so a rate is defined before the first event; the latencies an operator
 * alerts on are histograms with buckets, so {@code histogram_quantile} gives p50 and p99.
 */
public final class MicrometerGatewayMetrics implements GatewayMetrics {
  /** The subjects (message kinds) whose rejections are counted; others are registered when they first occur. */
  public static final List<String> MESSAGE_KINDS =
      List.of("heartbeat", "telemetry", "stats", "service", "cache", "cache-change");
  /** The reconciler's step types ({@link #reconcileAction}). */
  public static final List<String> RECONCILE_ACTIONS =
      List.of("start", "stop", "fence", "abandon", "start_failed", "migrate", "confirmed");
  /** Why failure detection can be held ({@link #detectionHeld}). */
  public static final List<String> HOLD_CAUSES = List.of("link", "pause", "backlog", "mass_silence");
  /** The kinds of problem a gateway reports without stopping ({@link #problem}). */
  public static final List<String> PROBLEM_KINDS =
      List.of("policy_pointer", "policy_restore", "policy_bucket", "state_set_aside");
  /** How a rule set was built ({@link #rulesBuilt}). */
  public static final List<String> RULE_BUILDS = List.of("compiled", "artifact", "failed");

  private final MeterRegistry registry;
  private final String gatewayId;
  private final Counter detections;
  private final Counter failovers;
  private final Counter heartbeats;
  private final Counter migrationsCompleted;
  private final Counter migrationsFailed;
  private final Timer detectionSilence;
  private final Timer recovery;
  private final Timer migrationTime;
  private final Timer moveGap;
  private final Timer cycle;
  private final Map<String, Counter> rejected = new ConcurrentHashMap<>();
  private final Map<String, Counter> actions = new ConcurrentHashMap<>();
  private final Map<String, Counter> problems = new ConcurrentHashMap<>();
  private final Map<String, Counter> holds = new ConcurrentHashMap<>();
  private final Map<String, Timer> ruleBuilds = new ConcurrentHashMap<>();
  private final Map<AdaptationEvent.Type, Counter> events = new EnumMap<>(AdaptationEvent.Type.class);

  /** Registers the gateway's series, tagged {@code gateway=gatewayId}, in {@code registry}. */
  public MicrometerGatewayMetrics(MeterRegistry registry, String gatewayId) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
    this.detections = counter("fogwise_detections", "devices declared lost").register(registry);
    this.failovers = counter("fogwise_failovers", "services placed again because their device was lost or excluded")
        .register(registry);
    this.heartbeats = counter("fogwise_heartbeats", "heartbeats accepted from devices").register(registry);
    this.migrationsCompleted = migrations("completed");
    this.migrationsFailed = migrations("failed");
    this.detectionSilence = histogram("fogwise_detection", "heartbeat silence before a device was declared lost",
        Duration.ofMillis(50), Duration.ofSeconds(30), 250, 500, 1_000, 2_000, 5_000);
    this.recovery = histogram("fogwise_recovery", "failover decided until the replacement instance runs",
        Duration.ofMillis(10), Duration.ofSeconds(60), 250, 500, 1_000, 2_000, 5_000, 10_000);
    this.migrationTime = histogram("fogwise_migration", "planned migration, start to old instance released",
        Duration.ofMillis(10), Duration.ofSeconds(60), 250, 500, 1_000, 2_000, 5_000, 10_000);
    this.moveGap = histogram("fogwise_move_gap",
        "hand-over of a planned move until the new instance is active (the subscribers' outage)",
        Duration.ofMillis(1), Duration.ofSeconds(10), 10, 50, 100, 250, 500, 1_000);
    this.cycle = Timer.builder("fogwise_decision_cycle").description("one suspicion + rules + reconcile cycle")
        .tag("gateway", gatewayId).register(registry);
    for (String kind : MESSAGE_KINDS) {
      for (RejectReason reason : RejectReason.values()) {
        rejectedCounter(kind, reason);
      }
    }
    RECONCILE_ACTIONS.forEach(this::actionCounter);
    HOLD_CAUSES.forEach(this::holdCounter);
    PROBLEM_KINDS.forEach(this::problemCounter);
    RULE_BUILDS.forEach(this::ruleBuildTimer);
    for (AdaptationEvent.Type type : AdaptationEvent.Type.values()) {
      events.put(type, counter("fogwise_events", "adaptation events the gateway published, by type")
          .tag("type", type.name()).register(registry));
    }
  }

  private Counter.Builder counter(String name, String help) {
    return Counter.builder(name).description(help).tag("gateway", gatewayId);
  }

  private Counter migrations(String outcome) {
    return counter("fogwise_migrations", "planned migrations, by outcome").tag("outcome", outcome).register(registry);
  }

  private Timer histogram(String name, String help, Duration min, Duration max, long... sloMillis) {
    Duration[] slos = new Duration[sloMillis.length];
    for (int i = 0; i < sloMillis.length; i++) {
      slos[i] = Duration.ofMillis(sloMillis[i]);
    }
    return Timer.builder(name).description(help).tag("gateway", gatewayId)
        .publishPercentileHistogram().minimumExpectedValue(min).maximumExpectedValue(max)
        .serviceLevelObjectives(slos).register(registry);
  }

  private Counter rejectedCounter(String kind, RejectReason reason) {
    return rejected.computeIfAbsent(kind + "/" + reason.tag(), k -> counter("fogwise_rejected_messages",
        "inbound messages rejected, by subject kind and reason").tag("subject", kind).tag("reason", reason.tag())
        .register(registry));
  }

  private Counter actionCounter(String type) {
    return actions.computeIfAbsent(type, t -> counter("fogwise_reconcile_actions",
        "steps the reconciler issued, by action").tag("action", t).register(registry));
  }

  private Counter holdCounter(String cause) {
    return holds.computeIfAbsent(cause, c -> counter("fogwise_detection_holds",
        "times failure detection was held, by cause").tag("cause", c).register(registry));
  }

  private Counter problemCounter(String kind) {
    return problems.computeIfAbsent(kind, k -> counter("fogwise_problems",
        "problems found that did not stop the gateway, by kind").tag("kind", k).register(registry));
  }

  private Timer ruleBuildTimer(String how) {
    return ruleBuilds.computeIfAbsent(how, h -> Timer.builder("fogwise_rules_build")
        .description("rule sets compiled here or loaded from a signed artifact, and compilations that failed")
        .tag("gateway", gatewayId).tag("how", h).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofSeconds(60))
        .serviceLevelObjectives(Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10))
        .register(registry));
  }

  @Override
  public void rejected(String kind, RejectReason reason) {
    rejectedCounter(kind, reason).increment();
  }

  @Override
  public void deviceLost(long silenceMillis) {
    detections.increment();
    detectionSilence.record(silenceMillis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void reconcileAction(String type) {
    actionCounter(type).increment();
  }

  @Override
  public void failover(String service) {
    failovers.increment();
  }

  @Override
  public void recovered(long millis) {
    recovery.record(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void migration(boolean completed, long millis) {
    if (completed) {
      migrationsCompleted.increment();
      migrationTime.record(millis, TimeUnit.MILLISECONDS);
    } else {
      migrationsFailed.increment();
    }
  }

  @Override
  public void cycle(long nanos, int firings) {
    cycle.record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void problem(String kind) {
    problemCounter(kind).increment();
  }

  @Override
  public void heartbeat() {
    heartbeats.increment();
  }

  @Override
  public void event(AdaptationEvent.Type type) {
    events.get(type).increment();
  }

  @Override
  public void moveGap(long millis) {
    moveGap.record(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void rulesBuilt(String how, long millis) {
    ruleBuildTimer(how).record(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void serviceDegraded(String service) {
    counter("fogwise_services_degraded", "services short of running instances for too long, per episode")
        .tag("service", service).register(registry).increment();
  }

  @Override
  public void degradedGauge(Supplier<Integer> count) {
    Gauge.builder("fogwise_degraded_services", count::get).description("services degraded now")
        .tag("gateway", gatewayId).register(registry);
  }

  @Override
  public void messagesMissed(String service, long count) {
    counter("fogwise_messages_missed", "message numbers subscribers reported they never received")
        .tag("service", service).register(registry).increment(count);
  }

  @Override
  public void detectionHeld(String cause) {
    holdCounter(cause).increment();
  }

  @Override
  public void deviceGauges(Supplier<Map<String, Integer>> counts) {
    for (String state : counts.get().keySet()) {
      Gauge.builder("fogwise_devices", () -> counts.get().getOrDefault(state, 0))
          .description("devices known to the gateway, by state").tag("gateway", gatewayId).tag("state", state)
          .register(registry);
    }
  }
}
