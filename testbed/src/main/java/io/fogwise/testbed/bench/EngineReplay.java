package io.fogwise.testbed.bench;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Parameters;
import io.fogwise.testbed.fleet.DeviceTrace;
import io.fogwise.testbed.fleet.FleetTrace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Replays a fleet trace through the gateway's real engine ({@link GatewayEngine}, one per
 * gateway, on a manual clock with an {@link InMemoryOrchestrator} as the devices): every
 * heartbeat at its simulated arrival, every telemetry reading at its time, a dead device silent
 * and unreachable from its death on. Each device hosts a one-replica service of its own, applied
 * when it joins (the reconciler puts it on the least-loaded device: the new one). Records when
 * generated rules quarantined a device, which services it hosted then, and when those moved.
 */
final class EngineReplay {
  /** The engine's decision tick in the replay. */
  static final long TICK_MS = 100;
  /** How long a start takes on a simulated device. */
  static final Duration START_LATENCY = Duration.ofMillis(500);
  /** Quarantines by rules whose name starts with this are the generated rules'. */
  static final String MINED_PREFIX = "mined:";

  /** A generated rule's quarantine of a device. */
  record Quarantine(String deviceId, long atMillis, String rule, List<String> services) {}

  /** What the replay saw. */
  record Replay(Map<String, Quarantine> quarantines, Map<String, Map<String, Long>> movedFrom, long ruleFailures,
      long otherQuarantines, long wallMs) {}

  private EngineReplay() {}

  static Replay run(FleetTrace trace, RuleSet rules, Map<String, String> parameters) {
    long wall = System.nanoTime();
    Map<String, Quarantine> quarantines = new HashMap<>();
    Map<String, Map<String, Long>> movedFrom = new HashMap<>();
    long[] failures = new long[1];
    long[] others = new long[1];
    for (String gw : trace.gateways()) {
      List<DeviceTrace> devices = trace.devices().stream().filter(d -> d.gatewayId().equals(gw)).toList();
      runGateway(trace, gw, devices, rules, parameters, quarantines, movedFrom, failures, others);
    }
    return new Replay(quarantines, movedFrom, failures[0], others[0], (System.nanoTime() - wall) / 1_000_000L);
  }

  private static void runGateway(FleetTrace trace, String gw, List<DeviceTrace> devices, RuleSet rules,
      Map<String, String> parameters, Map<String, Quarantine> quarantines, Map<String, Map<String, Long>> movedFrom,
      long[] failures, long[] others) {
    long start = trace.startMillis();
    ManualClock clock = new ManualClock(start);
    ManualScheduler scheduler = new ManualScheduler(clock);
    InMemoryOrchestrator fleet = InMemoryOrchestrator.create(scheduler);
    List<AdaptationEvent> pending = new ArrayList<>();
    GatewayEngine engine = GatewayEngine.builder().gatewayId(gw).clock(clock).rules(rules)
        .parameters(new Parameters(parameters)).orchestrator(fleet).events(pending::add).build();
    try {
      PriorityQueue<Cursor> queue = new PriorityQueue<>();
      for (DeviceTrace d : devices) {
        fleet.device(d.deviceId()).startLatency(START_LATENCY);
        Cursor c = new Cursor(d);
        if (c.next() != Long.MAX_VALUE) {
          queue.add(c);
        }
      }
      long end = trace.endMillis();
      long nextTick = start + TICK_MS;
      while (nextTick <= end) {
        Cursor c = queue.peek();
        long tEvent = c == null ? Long.MAX_VALUE : c.next();
        if (nextTick <= tEvent) {
          advanceTo(scheduler, clock, nextTick);
          engine.tick();
          scheduler.runDue();
          nextTick += TICK_MS;
        } else {
          queue.poll();
          advanceTo(scheduler, clock, tEvent);
          c.deliver(engine, fleet, clock, gw);
          if (c.next() != Long.MAX_VALUE) {
            queue.add(c);
          }
        }
        if (!pending.isEmpty()) {
          for (AdaptationEvent e : pending) {
            if (e.type() == AdaptationEvent.Type.DEVICE_QUARANTINED) {
              if (e.rule() != null && e.rule().startsWith(MINED_PREFIX)) {
                List<String> services = engine.placementsByDevice().getOrDefault(e.deviceId(), List.of()).stream()
                    .map(Placement::service).distinct().toList();
                quarantines.putIfAbsent(e.deviceId(), new Quarantine(e.deviceId(), e.atMillis(), e.rule(), services));
              } else {
                others[0]++;
              }
            } else if (e.type() == AdaptationEvent.Type.MIGRATION_COMPLETED) {
              String from = e.details().get("from");
              if (from != null) {
                movedFrom.computeIfAbsent(from, k -> new HashMap<>()).putIfAbsent(e.service(), e.atMillis());
              }
            }
          }
          pending.clear();
        }
      }
      failures[0] += engine.ruleFailures();
    } finally {
      engine.close();
    }
  }

  private static void advanceTo(ManualScheduler scheduler, ManualClock clock, long wallMillis) {
    long delta = wallMillis - clock.wallMillis();
    if (delta > 0) {
      scheduler.advanceMillis(delta);
    }
  }

  /** One device's next heartbeat, reading or death, in time order. */
  private static final class Cursor implements Comparable<Cursor> {
    final DeviceTrace d;
    final long[] arrivals;
    final long death;
    int hb;
    int tm;
    boolean dead;
    boolean joined;
    long seq;

    Cursor(DeviceTrace d) {
      this.d = d;
      this.arrivals = d.heartbeatArrivalMillis();
      this.death = d.deathMillis().orElse(Long.MAX_VALUE);
    }

    long next() {
      long h = hb < arrivals.length ? arrivals[hb] : Long.MAX_VALUE;
      long t = tm < d.telemetryCount() ? d.telemetryAt(tm) : Long.MAX_VALUE;
      long x = dead ? Long.MAX_VALUE : death;
      return Math.min(h, Math.min(t, x));
    }

    void deliver(GatewayEngine engine, InMemoryOrchestrator fleet, ManualClock clock, String gw) {
      long h = hb < arrivals.length ? arrivals[hb] : Long.MAX_VALUE;
      long t = tm < d.telemetryCount() ? d.telemetryAt(tm) : Long.MAX_VALUE;
      long x = dead ? Long.MAX_VALUE : death;
      if (x <= h && x <= t) {
        dead = true; // it sends nothing more and answers no command
        fleet.device(d.deviceId()).reachable(false);
        hb = arrivals.length;
        tm = d.telemetryCount();
      } else if (h <= t) {
        hb++;
        engine.onHeartbeat(new Heartbeat(d.deviceId(), gw, seq++, clock.wallMillis(), d.heartbeatMs(), Layer.EDGE,
            d.deviceClass(), Map.of(), fleet.reports(d.deviceId())), clock.nanos());
        if (!joined) {
          joined = true;
          engine.handle(ServiceRequest.apply(ServiceSpec.of("svc-" + d.deviceId(), "sensor-reader",
              ServiceSpec.Placement.ANYWHERE, Map.of())));
        }
      } else {
        engine.onTelemetry(d.telemetry(tm++));
      }
    }

    @Override
    public int compareTo(Cursor o) {
      return Long.compare(next(), o.next());
    }
  }
}
