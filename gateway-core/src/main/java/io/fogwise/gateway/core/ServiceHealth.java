package io.fogwise.gateway.core;

import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.ServiceSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Services with fewer running instances than replicas. One short for longer than
 * {@code service.underReplicatedMs} is DEGRADED: an ALERT once per episode, a metric, and
 * {@code /health} names it until it has all its instances running again.
 */
final class ServiceHealth {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceHealth.class);

  private final EngineState s;
  private final Map<String, Long> shortSince = new HashMap<>();
  private final Set<String> degraded = new TreeSet<>();
  private volatile int degradedCount;

  ServiceHealth(EngineState s) {
    this.s = s;
    s.metrics.degradedGauge(() -> degradedCount);
  }

  void check(long nowMillis) {
    long limit = (long) s.rules.parameters().number("service.underReplicatedMs");
    Map<String, Integer> running = new HashMap<>();
    for (Placement p : s.reconciler.placements()) {
      if (p.state() == Placement.State.RUNNING) {
        running.merge(p.service(), 1, Integer::sum);
      }
    }
    Set<String> declared = new java.util.HashSet<>();
    for (ServiceSpec spec : s.desired.specs()) {
      declared.add(spec.name());
      int n = running.getOrDefault(spec.name(), 0);
      if (n < spec.replicas()) {
        long since = shortSince.computeIfAbsent(spec.name(), k -> nowMillis);
        if (nowMillis - since >= limit && degraded.add(spec.name())) {
          String why = "service " + spec.name() + " has had " + n + " of " + spec.replicas() + " instances running for "
              + (nowMillis - since) + " ms (service.underReplicatedMs " + limit + "): no eligible device can run it,"
              + " or its starts keep failing; see /devices and the events before this one";
          LOG.warn("alert: {}", why);
          s.metrics.serviceDegraded(spec.name());
          s.emit(AdaptationEvent.Type.ALERT, null, spec.name(), 0, null, why,
              Map.of("running", Integer.toString(n), "replicas", Integer.toString(spec.replicas())));
        }
      } else {
        shortSince.remove(spec.name());
        if (degraded.remove(spec.name())) {
          LOG.info("service {} has its {} instances running again", spec.name(), spec.replicas());
        }
      }
    }
    shortSince.keySet().retainAll(declared);
    degraded.retainAll(declared);
    degradedCount = degraded.size();
  }

  /** The degraded services, by name. */
  List<String> degraded() {
    return List.copyOf(degraded);
  }
}
