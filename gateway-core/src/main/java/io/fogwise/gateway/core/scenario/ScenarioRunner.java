package io.fogwise.gateway.core.scenario;

import io.fogwise.gateway.core.EngineObserver;
import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.rules.Action;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Parameters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs scenarios against a rule set with the gateway's own engine ({@link GatewayEngine}) on
 * one manual clock, and an {@link InMemoryOrchestrator} in place of devices: simulated devices
 * heartbeat and report telemetry on their schedules, starts take each device's start latency
 * and can be refused, a device that stops heartbeating stops answering too. Nothing a scenario
 * sets by hand is something the gateway would compute: suspicion comes from the heartbeat
 * timeline, readings from the telemetry timeline, placements from the gateway's reconciler.
 * Minutes of scenario time run in a fraction of a second.
 */
public final class ScenarioRunner {
  /** The gateway id scenarios run under. */
  public static final String GATEWAY_ID = "scenario";

  private final RuleSet rules;

  public ScenarioRunner(RuleSet rules) {
    this.rules = Objects.requireNonNull(rules, "rules");
  }

  /** A runner for the built-in packs. */
  public static ScenarioRunner builtInPacks() throws RuleCompilationException {
    return new ScenarioRunner(RuleSet.compile("global v0", RuleSet.builtInPacks()));
  }

  /** Runs {@code s}. */
  public ScenarioResult run(Scenario s) {
    long wallStart = System.nanoTime();
    Run run = new Run(s);
    try {
      run.execute();
    } finally {
      run.engine.close();
    }
    List<Expectation> missing = new ArrayList<>();
    List<Occurred> unmatched = new ArrayList<>(run.actual);
    for (Expectation e : s.expected()) {
      Occurred hit = unmatched.stream().filter(e::matches).findFirst().orElse(null);
      if (hit == null) {
        missing.add(e);
      } else {
        unmatched.remove(hit);
      }
    }
    List<Occurred> forbidden = new ArrayList<>();
    for (Occurred o : run.actual) {
      if (s.never().stream().anyMatch(n -> n.matches(o))) {
        forbidden.add(o);
      }
    }
    return new ScenarioResult(s, List.copyOf(run.actual), missing, forbidden, run.failures,
        (System.nanoTime() - wallStart) / 1_000_000L, List.copyOf(run.events));
  }

  /** One run's state. */
  private final class Run implements EngineObserver {
    final Scenario s;
    final ManualClock clock = new ManualClock();
    final ManualScheduler scheduler = new ManualScheduler(clock);
    final InMemoryOrchestrator fleet = InMemoryOrchestrator.create(scheduler);
    final GatewayEngine engine;
    final List<Occurred> actual = new ArrayList<>();
    final List<AdaptationEvent> events = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    final Map<String, DeviceSim> devices = new LinkedHashMap<>();
    final List<Scenario.LatencyReport> latency = new ArrayList<>();
    final Map<Scenario.LatencyReport, Long> nextLatency = new HashMap<>();
    int nextEvent;

    Run(Scenario s) {
      this.s = s;
      this.engine = GatewayEngine.builder()
          .gatewayId(GATEWAY_ID)
          .clock(clock)
          .rules(rules)
          .parameters(new Parameters(s.parameters()))
          .orchestrator(fleet)
          .events(this::onEvent)
          .observer(this)
          .build();
      for (Scenario.DeviceDecl d : s.devices()) {
        devices.put(d.id(), new DeviceSim(d));
        fleet.device(d.id()).startLatency(Duration.ofMillis(d.startMs())).refuseStarts(d.refuseStarts());
      }
    }

    @Override
    public void actionDecided(Action a) {
      actual.add(Occurred.of(clock.millis(), a));
    }

    @Override
    public void ruleFailed(String why) {
      failures.add(why + " at " + Durations.format(clock.millis()));
    }

    void onEvent(AdaptationEvent e) {
      events.add(e);
      Occurred o = Occurred.of(clock.millis(), e);
      if (o != null) {
        actual.add(o);
      }
    }

    void execute() {
      // every device reports once; declared instances run as if the gateway had placed them
      // before it restarted, so it adopts them; the rest is placed by the reconciler
      for (DeviceSim d : devices.values()) {
        d.beat();
        d.nextBeat = d.decl.heartbeatMs();
      }
      begin();
      for (long t = 0; t <= s.duration(); t += s.tick()) {
        fireEvents(t);
        for (DeviceSim d : devices.values()) {
          d.step(t);
        }
        for (Scenario.LatencyReport l : latency) {
          Long next = nextLatency.get(l);
          if (next != null && next <= t) {
            engine.onLatency(l.service(), l.subscriber(), l.p50Micros(), l.p99Micros());
            nextLatency.put(l, l.everyMs() > 0 && next + l.everyMs() <= l.untilMillis() ? next + l.everyMs() : null);
          }
        }
        engine.tick();
        scheduler.runDue(); // starts without latency answer within the tick, as a fast device would
        if (t + s.tick() <= s.duration()) {
          scheduler.advanceMillis(s.tick());
        }
      }
    }

    /** Declared services, and declared instances adopted as a restarted gateway adopts its placements. */
    void begin() {
      if (s.instances().isEmpty()) {
        s.services().forEach(spec -> engine.handle(ServiceRequest.apply(spec)));
        return;
      }
      Map<String, Long> epochs = new HashMap<>();
      List<DesiredSnapshot.PlacementRecord> placed = new ArrayList<>();
      Map<String, ServiceSpec> specs = new HashMap<>();
      s.services().forEach(spec -> specs.put(spec.name(), spec));
      for (Scenario.InstanceDecl i : s.instances()) {
        ServiceSpec spec = specs.get(i.service());
        long epoch = epochs.merge(i.service(), 1L, Long::sum);
        String version = i.version() != null ? i.version() : spec.version();
        placed.add(new DesiredSnapshot.PlacementRecord(i.service(), i.device(), epoch, version));
        fleet.start(new InstanceIntent(spec.name(), spec.instanceKind(), version, epoch, i.device(), spec.config(), spec.container()),
            Orchestrator.StartMode.ACTIVE);
      }
      scheduler.runDue();
      engine.restore(new DesiredSnapshot(DesiredSnapshot.FORMAT, clock.wallMillis(), s.services(), epochs, Map.of(),
          List.of(), placed, List.of(), Map.of(), Map.of()));
      devices.values().forEach(DeviceSim::beat);
    }

    void fireEvents(long t) {
      while (nextEvent < s.timeline().size() && s.timeline().get(nextEvent).atMillis() <= t) {
        Scenario.Event e = s.timeline().get(nextEvent++);
        if (e instanceof Scenario.HeartbeatsStop x) {
          // a device that stops heartbeating is gone: it answers no command either
          device(x.device()).heartbeating = false;
          fleet.device(x.device()).reachable(false);
        } else if (e instanceof Scenario.HeartbeatsResume x) {
          DeviceSim d = device(x.device());
          d.heartbeating = true;
          d.nextBeat = t;
          fleet.device(x.device()).reachable(true);
        } else if (e instanceof Scenario.TelemetryChange x) {
          DeviceSim d = device(x.device());
          if (x.temperatureC() != null) {
            d.temperature = x.temperatureC();
          }
          if (x.batteryPct() != null) {
            d.battery = x.batteryPct();
          }
          if (x.cpuLoad() != null) {
            d.cpu = x.cpuLoad();
          }
          if (x.memoryPct() != null) {
            d.memory = x.memoryPct();
          }
        } else if (e instanceof Scenario.Stall x) {
          fleet.device(x.device()).stall(x.service());
        } else if (e instanceof Scenario.LatencyReport x) {
          latency.add(x);
          nextLatency.put(x, t);
        } else if (e instanceof Scenario.ApplyService x) {
          engine.handle(ServiceRequest.apply(x.spec()));
        } else if (e instanceof Scenario.SetParameter x) {
          engine.setParameter(x.key(), x.value(), "set by the scenario");
        }
      }
    }

    DeviceSim device(String id) {
      DeviceSim d = devices.get(id);
      if (d == null) {
        throw new IllegalArgumentException("scenario \"" + s.name() + "\": no device '" + id + "'");
      }
      return d;
    }

    /** A simulated device: heartbeats (with what the orchestrator runs on it) and telemetry on its own schedule. */
    final class DeviceSim {
      final Scenario.DeviceDecl decl;
      boolean heartbeating = true;
      long nextBeat;
      long nextTelemetry;
      long seq;
      Double temperature;
      Double battery;
      double cpu;
      Double memory;

      DeviceSim(Scenario.DeviceDecl decl) {
        this.decl = decl;
        this.temperature = decl.temperatureC();
        this.battery = decl.batteryPct();
        this.cpu = decl.cpuLoad();
      }

      void step(long t) {
        if (heartbeating && t >= nextBeat) {
          beat();
          nextBeat = t + decl.heartbeatMs();
        }
        if (heartbeating && t >= nextTelemetry) {
          // memory as used/limit of 1000 units (no limit, i.e. no memory reading, until the timeline sets one)
          engine.onTelemetry(new Telemetry(decl.id(), GATEWAY_ID, clock.wallMillis(), cpu,
              memory == null ? 0 : Math.round(memory * 10), memory == null ? 0 : 1000, battery, temperature, Map.of()));
          nextTelemetry = t + decl.telemetryMs();
        }
      }

      void beat() {
        engine.onHeartbeat(new Heartbeat(decl.id(), GATEWAY_ID, seq++, clock.wallMillis(), (int) decl.heartbeatMs(),
            decl.layer(), decl.deviceClass(), decl.labels(), fleet.reports(decl.id())), clock.nanos());
      }
    }
  }
}
