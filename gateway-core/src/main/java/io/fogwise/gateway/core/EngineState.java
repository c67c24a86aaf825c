package io.fogwise.gateway.core;

import io.fogwise.gateway.core.devices.DeviceRegistry;
import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.gateway.core.reconcile.DesiredState;
import io.fogwise.gateway.core.reconcile.Reconciler;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What the engine's parts share, on the decision thread: the registry, desired state, the
 * reconciler, the rule session and the bookkeeping between them. One object so each part
 * names what it touches instead of taking ten constructor arguments.
 */
final class EngineState {
  final String gatewayId;
  final Clock clock;
  final DeviceRegistry registry;
  final DesiredState desired = new DesiredState();
  final Reconciler reconciler;
  final GatewayMetrics metrics;
  final EventLog events;
  final RuleSession rules;
  final EngineObserver observer;
  /** Services whose rule fact must be refreshed at the next sync. */
  final Set<String> dirtyServices = new HashSet<>();
  /** Services placed again after a failover, until the new instance runs (recovery time). */
  final Map<String, Failover> failedOver = new HashMap<>();
  /** Quarantined devices and when their quarantine ends (monotonic ms). */
  final Map<String, Long> quarantines = new HashMap<>();
  boolean closed;
  /** The gateway cannot hear (link down, paused) or is settling after it: what it misses says nothing about devices. */
  boolean ownSilence;

  record Failover(String deviceId, long decidedAtMillis) {}

  EngineState(String gatewayId, Clock clock, DeviceRegistry registry, Reconciler reconciler, GatewayMetrics metrics,
      EventLog events, RuleSession rules, EngineObserver observer) {
    this.gatewayId = gatewayId;
    this.clock = clock;
    this.registry = registry;
    this.reconciler = reconciler;
    this.metrics = metrics;
    this.events = events;
    this.rules = rules;
    this.observer = observer;
  }

  void emit(AdaptationEvent.Type type, String deviceId, String service, long epoch, String rule, String reason,
      Map<String, String> details) {
    metrics.event(type);
    events.emit(type, deviceId, service, epoch, rule, reason, details);
  }
}
