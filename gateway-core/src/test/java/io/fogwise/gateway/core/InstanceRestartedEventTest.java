package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.rules.host.RuleSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A device that restarts a crashed instance says so in its heartbeat; the gateway turns it into an event with the reason. */
class InstanceRestartedEventTest {
  private static RuleSet packs;
  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  private final List<AdaptationEvent> events = new ArrayList<>();
  private GatewayEngine engine;
  private long seq;

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
  }

  @BeforeEach
  void setUp() {
    engine = GatewayEngine.builder().gatewayId("gw").clock(scheduler.clock()).rules(packs)
        .orchestrator(InMemoryOrchestrator.create(scheduler)).events(events::add).build();
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  private void beat(InstanceReport r) {
    engine.onHeartbeat(new Heartbeat("e1", "gw", seq++, scheduler.clock().wallMillis(), 200, Layer.EDGE, null, Map.of(),
        List.of(r)), scheduler.clock().nanos());
    scheduler.advanceMillis(200);
  }

  private List<AdaptationEvent> restarted() {
    return events.stream().filter(e -> e.type() == AdaptationEvent.Type.INSTANCE_RESTARTED).toList();
  }

  @Test
  void eachReportedRestartIsAnEventWithTheDevicesReason() {
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RUNNING, 0, 10L, null));
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RUNNING, 0, 20L, null));
    assertTrue(restarted().isEmpty());
    String why = "container fw-e1-pub-e3-1 (fogwise/publisher:latest) exited with code 2";
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RESTARTING, 1, 20L, why));
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RESTARTING, 1, 20L, why));
    assertEquals(1, restarted().size(), events.toString());
    assertTrue(restarted().get(0).reason().contains(why), restarted().get(0).reason());
    assertEquals("e1", restarted().get(0).deviceId());
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RESTARTING, 2, 20L, why));
    assertEquals(2, restarted().size());
  }
}
