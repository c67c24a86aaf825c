package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.rules.host.RuleSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A move on an orchestrator that relocates (the swarm adapter: a constraint update, start-first):
 * the engine asks for the relocation, and the orchestrator starts the new instance and retires the
 * old one itself; a refused relocation leaves the old one running and the move failed.
 */
class MoveByRelocationTest {
  private static RuleSet packs;

  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  private final InMemoryOrchestrator fleet = InMemoryOrchestrator.withRelocation(scheduler);
  private final List<AdaptationEvent> events = new ArrayList<>();
  private GatewayEngine engine;
  private long seq;

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
  }

  @BeforeEach
  void setUp() {
    engine = GatewayEngine.builder().gatewayId("gw").clock(scheduler.clock()).rules(packs).orchestrator(fleet)
        .events(events::add).build();
    fleet.device("c1");
    fleet.device("e1").startLatency(Duration.ofMillis(400));
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  private void run(long millis) {
    for (long t = 0; t < millis; t += 25) {
      if (scheduler.clock().millis() % 200 == 0) {
        beat("c1", Layer.CLOUD);
        beat("e1", Layer.EDGE);
      }
      engine.tick();
      scheduler.advanceMillis(25);
    }
  }

  private void beat(String id, Layer layer) {
    engine.onHeartbeat(new Heartbeat(id, "gw", seq++, scheduler.clock().wallMillis(), 200, layer, null, Map.of(),
        fleet.reports(id)), scheduler.clock().nanos());
  }

  private List<String> migrationEvents() {
    return events.stream().filter(e -> e.type().name().startsWith("MIGRATION"))
        .map(e -> e.type() + " " + e.deviceId() + "#" + e.epoch()).toList();
  }

  @Test
  void theOrchestratorMovesTheInstanceItself() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000);
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running());

    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(200);
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running(), "the old one runs until the new one does");
    run(1500);
    assertEquals(List.of(), fleet.device("c1").running());
    assertEquals(List.of("publisher@e1#2"), fleet.device("e1").running());
    assertEquals(List.of("MIGRATION_STARTED e1#2", "MIGRATION_COMPLETED e1#2"), migrationEvents());
    assertEquals("true", events.stream().filter(e -> e.type() == AdaptationEvent.Type.MIGRATION_COMPLETED)
        .findFirst().orElseThrow().details().get("relocated"));
    run(2000);
    assertEquals(List.of("publisher@e1#2"), fleet.device("e1").running(), "nothing else started: " + events);
  }

  @Test
  void aRefusedRelocationLeavesTheOldInstanceRunning() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000);
    fleet.device("e1").refuseStarts("no suitable node (scheduling constraints not satisfied on 1 node)");
    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(1000);
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running());
    assertTrue(migrationEvents().contains("MIGRATION_FAILED e1#2"), migrationEvents().toString());
    assertTrue(events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.MIGRATION_FAILED
        && e.reason().contains("scheduling constraints")), events.toString());
  }
}
