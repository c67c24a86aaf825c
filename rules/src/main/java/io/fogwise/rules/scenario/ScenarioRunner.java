package io.fogwise.rules.scenario;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.rules.Action;
import io.fogwise.rules.detect.PhiAccrualDetector;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.host.RuleHost;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Instance;
import io.fogwise.rules.model.LatencyReading;
import io.fogwise.rules.model.Movement;
import io.fogwise.rules.model.Parameters;
import io.fogwise.rules.model.Reading;
import io.fogwise.rules.model.Service;
import io.fogwise.rules.registry.DeviceRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs scenarios against a rule set on one pseudo clock, with the gateway's real device
 * registry, failure detector and rule host, and a recording reconciler in place of devices and
 * commands. Nothing a scenario sets by hand is something the gateway would compute: suspicion
 * comes from the heartbeat timeline, readings from the telemetry timeline. Minutes of scenario
 * time run in a fraction of a second.
 */
public final class ScenarioRunner {
  private static final int MAX_ROUNDS = 5;
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
      run.host.close();
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
        (System.nanoTime() - wallStart) / 1_000_000L);
  }

  /** One run's state. */
  private final class Run {
    final Scenario s;
    final ManualClock clock = new ManualClock();
    final DeviceRegistry registry = new DeviceRegistry(clock, PhiAccrualDetector.Settings.DEFAULT);
    final SimulatedFleet fleet = new SimulatedFleet(registry);
    final RuleHost host;
    final List<Occurred> actual = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    final Map<String, DeviceSim> devices = new HashMap<>();
    final Map<String, Instance> instanceFacts = new HashMap<>();
    final List<Scenario.LatencyReport> latency = new ArrayList<>();
    final Map<Scenario.LatencyReport, Long> nextLatency = new HashMap<>();
    Parameters parameters;
    long syncedFleet = -1;
    int nextEvent;

    Run(Scenario s) {
      this.s = s;
      this.host = new RuleHost(rules, clock);
      this.parameters = new Parameters(s.parameters());
      host.put("params", parameters);
      for (Scenario.DeviceDecl d : s.devices()) {
        devices.put(d.id(), new DeviceSim(d));
      }
      s.services().forEach(fleet::apply);
    }

    void execute() {
      // every device reports once, then declared instances run and the rest is placed
      for (DeviceSim d : devices.values()) {
        d.beat(0);
        d.nextBeat = d.decl.heartbeatMs();
      }
      for (Scenario.InstanceDecl i : s.instances()) {
        fleet.start(i.service(), i.device(), i.version());
      }
      fleet.reconcile(0);
      for (long t = 0; t <= s.duration(); t += s.tick()) {
        fireEvents(t);
        for (DeviceSim d : devices.values()) {
          d.step(t);
        }
        for (Scenario.LatencyReport l : latency) {
          Long next = nextLatency.get(l);
          if (next != null && next <= t) {
            host.insertEvent(new LatencyReading(l.service(), l.subscriber(), t, l.p50Micros(), l.p99Micros()));
            nextLatency.put(l, l.everyMs() > 0 && next + l.everyMs() <= l.untilMillis() ? next + l.everyMs() : null);
          }
        }
        registry.refreshSuspicion();
        for (int round = 0; round < MAX_ROUNDS; round++) {
          sync(t);
          RuleHost.Evaluation eval = host.evaluate();
          if (eval.budgetExceeded()) {
            failures.add("the rule set hit its firing budget at " + Durations.format(t) + " (a rule loops)");
          }
          if (eval.wallTimeExceeded() || eval.allocationExceeded() || eval.errorThrown()) {
            failures.add(eval.failure() + " at " + Durations.format(t));
          }
          if (eval.actions().isEmpty()) {
            break;
          }
          for (Action a : eval.actions()) {
            actual.add(Occurred.of(t, a));
            apply(a, t);
          }
          reconcile(t);
        }
        reconcile(t);
        if (t + s.tick() <= s.duration()) {
          clock.advanceMillis(s.tick());
        }
      }
    }

    void fireEvents(long t) {
      while (nextEvent < s.timeline().size() && s.timeline().get(nextEvent).atMillis() <= t) {
        Scenario.Event e = s.timeline().get(nextEvent++);
        if (e instanceof Scenario.HeartbeatsStop x) {
          device(x.device()).heartbeating = false;
        } else if (e instanceof Scenario.HeartbeatsResume x) {
          DeviceSim d = device(x.device());
          d.heartbeating = true;
          d.nextBeat = t;
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
        } else if (e instanceof Scenario.Stall x) {
          fleet.stall(x.service(), x.device(), t);
        } else if (e instanceof Scenario.LatencyReport x) {
          latency.add(x);
          nextLatency.put(x, t);
        } else if (e instanceof Scenario.ApplyService x) {
          fleet.apply(x.spec());
        } else if (e instanceof Scenario.SetParameter x) {
          parameters = parameters.with(x.key(), x.value());
          host.put("params", parameters);
        }
      }
    }

    /** Lets the fleet follow desired state; what moved becomes a Movement event at once. */
    void reconcile(long t) {
      fleet.reconcile(t);
      for (Movement m : fleet.movements) {
        host.insertEvent(m);
      }
      fleet.movements.clear();
    }

    DeviceSim device(String id) {
      DeviceSim d = devices.get(id);
      if (d == null) {
        throw new IllegalArgumentException("scenario \"" + s.name() + "\": no device '" + id + "'");
      }
      return d;
    }

    void sync(long t) {
      for (Device d : registry.drainChanged()) {
        host.putDevice(d);
      }
      if (fleet.version() != syncedFleet) {
        syncedFleet = fleet.version();
        for (Map.Entry<String, ServiceSpec> e : fleet.specs().entrySet()) {
          host.put("service:" + e.getKey(), new Service(e.getValue(), fleet.excluded(e.getKey())));
        }
      }
      Map<String, Instance> now = fleet.facts(t);
      for (String key : List.copyOf(instanceFacts.keySet())) {
        if (!now.containsKey(key)) {
          host.remove("instance:" + key);
          instanceFacts.remove(key);
        }
      }
      now.forEach((key, inst) -> {
        if (!inst.equals(instanceFacts.get(key))) {
          host.put("instance:" + key, inst);
          instanceFacts.put(key, inst);
        }
      });
    }

    void apply(Action a, long t) {
      if (a instanceof Action.DeclareLost x) {
        registry.markLost(x.deviceId());
      } else if (a instanceof Action.Exclude x) {
        fleet.exclude(x.service(), x.deviceId());
      } else if (a instanceof Action.Quarantine x) {
        registry.setQuarantined(x.deviceId(), true);
      } else if (a instanceof Action.Release x) {
        registry.setQuarantined(x.deviceId(), false);
      } else if (a instanceof Action.Migrate x) {
        if (x.layer() != null) {
          fleet.migrate(x.service(), x.layer(), t);
        } else {
          fleet.prefer(x.service(), x.deviceId());
        }
      } else if (a instanceof Action.SetReplicas x) {
        ServiceSpec spec = fleet.spec(x.service());
        if (spec != null) {
          fleet.apply(spec.withReplicas(x.replicas()));
        }
      } else if (a instanceof Action.Restart x) {
        fleet.restart(x.service(), x.deviceId(), x.epoch());
      } else if (a instanceof Action.SetParameter x) {
        parameters = parameters.with(x.key(), x.value());
        host.put("params", parameters);
      }
    }

    /** A simulated device: heartbeats and telemetry on its own schedule. */
    final class DeviceSim {
      final Scenario.DeviceDecl decl;
      boolean heartbeating = true;
      long nextBeat;
      long nextTelemetry;
      long seq;
      Double temperature;
      Double battery;
      double cpu;

      DeviceSim(Scenario.DeviceDecl decl) {
        this.decl = decl;
        this.temperature = decl.temperatureC();
        this.battery = decl.batteryPct();
        this.cpu = decl.cpuLoad();
      }

      void step(long t) {
        if (heartbeating && t >= nextBeat) {
          beat(t);
          nextBeat = t + decl.heartbeatMs();
        }
        if (heartbeating && t >= nextTelemetry) {
          Telemetry tm = new Telemetry(decl.id(), "scenario", clock.wallMillis(), cpu, 1, 2, battery, temperature,
              Map.of());
          if (registry.onTelemetry(tm)) {
            host.insertEvent(new Reading(decl.id(), t, temperature, battery, cpu));
          }
          nextTelemetry = t + decl.telemetryMs();
        }
      }

      void beat(long t) {
        List<InstanceReport> reports = new ArrayList<>();
        for (SimulatedFleet.Inst i : fleet.on(decl.id())) {
          reports.add(new InstanceReport(i.service, "scenario", i.epoch, InstanceReport.InstanceState.RUNNING, 0));
        }
        registry.onHeartbeat(new Heartbeat(decl.id(), "scenario", seq++, clock.wallMillis(), (int) decl.heartbeatMs(),
            decl.layer(), decl.deviceClass(), decl.labels(), reports), clock.nanos());
      }
    }
  }
}
