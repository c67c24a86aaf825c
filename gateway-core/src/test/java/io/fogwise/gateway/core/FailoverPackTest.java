package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.rules.Action;
import io.fogwise.rules.host.RuleHost;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.source.RuleError;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.rules.model.Instance;
import io.fogwise.rules.model.Parameters;
import io.fogwise.rules.model.Service;
import io.fogwise.gateway.core.devices.DeviceRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The failover pack on the real registry and detector, on a manual clock. */
class FailoverPackTest {
  private static RuleSet packs;
  private final ManualClock clock = new ManualClock();
  private final DeviceRegistry registry = new DeviceRegistry(clock, PhiAccrualDetector.Settings.DEFAULT);
  private long seq;

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
  }

  private void beat(String id, String deviceClass) {
    registry.onHeartbeat(
        new Heartbeat(id, "gw", seq++, clock.wallMillis(), 200, Layer.EDGE, deviceClass, Map.of(), List.of()),
        clock.nanos());
  }

  /** One gateway cycle: suspicion, rules, and the actions applied as the gateway would. */
  private List<Action> cycle(RuleHost host) {
    registry.refreshSuspicion();
    registry.drainChanged().forEach(host::putDevice);
    List<Action> actions = new ArrayList<>(host.evaluate().actions());
    for (Action a : actions) {
      if (a instanceof Action.DeclareLost l) {
        registry.markLost(l.deviceId());
      } else if (a instanceof Action.Exclude x) {
        excluded.add(x.deviceId());
        host.put("svc:" + x.service(), new Service(ServiceSpec.of(x.service(), "publisher", null, Map.of()), excluded));
      }
    }
    return actions;
  }

  private final Set<String> excluded = new java.util.HashSet<>();

  @Test
  void aSilentDeviceIsDeclaredLostOnceWithinOneSecondAndItsServiceExcluded() {
    try (RuleHost host = new RuleHost(packs, clock)) {
      host.put("params", Parameters.defaults());
      host.put("svc:pub", new Service(ServiceSpec.of("pub", "publisher", null, Map.of()), Set.of()));
      host.put("inst:pub@e1", new Instance("pub", "e1", 1, Instance.InstanceState.RUNNING));
      List<Action> all = new ArrayList<>();
      long silentSince = -1;
      for (int t = 0; t <= 10_000; t += 25) {
        if (t < 4000 && t % 200 == 0) {
          beat("e1", null);
          beat("e2", null);
          silentSince = t;
        } else if (t % 200 == 0) {
          beat("e2", null);
        }
        List<Action> actions = cycle(host);
        for (Action a : actions) {
          if (a instanceof Action.DeclareLost) {
            long detectMs = t - silentSince;
            assertTrue(detectMs > 600 && detectMs <= 1000, "detected after " + detectMs + " ms of silence");
          }
        }
        all.addAll(actions);
        clock.advanceMillis(25);
      }
      assertEquals(2, all.size(), all.toString());
      Action.DeclareLost lost = assertInstanceOf(Action.DeclareLost.class, all.get(0));
      assertEquals("e1", lost.deviceId());
      assertEquals("Device lost when its suspicion exceeds the threshold", lost.rule());
      Action.Exclude ex = assertInstanceOf(Action.Exclude.class, all.get(1));
      assertEquals("pub", ex.service());
      assertEquals("e1", ex.deviceId());
      assertEquals("Lost device is excluded from the services it hosted", ex.rule());
    }
  }

  @Test
  void theThresholdIsAParameterPerDeviceClass() {
    try (RuleHost host = new RuleHost(packs, clock)) {
      host.put("params", Parameters.defaults().with("detect.phiThreshold@sensor", "100"));
      for (int t = 0; t < 2000; t += 200) {
        beat("tolerant", "sensor");
        beat("strict", "rpi3");
        clock.advanceMillis(200);
      }
      List<String> lost = new ArrayList<>();
      for (int t = 0; t < 1500; t += 25) {
        cycle(host).forEach(a -> lost.add(((Action.DeclareLost) a).deviceId()));
        clock.advanceMillis(25);
      }
      assertEquals(List.of("strict"), lost);
    }
  }

  @Test
  void compileErrorsNameFileLineAndColumn() {
    String drl = "package x\n\nrule \"broken\"\nwhen\n  $d : NoSuchType( )\nthen\nend\n";
    RuleCompilationException e = assertThrows(RuleCompilationException.class,
        () -> RuleSet.compile("test", List.of(new RuleSource("broken.drl", drl))));
    RuleError first = e.errors().get(0);
    assertEquals("broken.drl", first.file());
    assertTrue(first.line() >= 3, first.toString());
    assertTrue(first.message().contains("NoSuchType"), first.toString());
  }

  @Test
  void thePacksNameTheirRulesAsSituations() {
    assertTrue(packs.ruleNames().contains("Device lost when its suspicion exceeds the threshold"), packs.ruleNames().toString());
  }

}
