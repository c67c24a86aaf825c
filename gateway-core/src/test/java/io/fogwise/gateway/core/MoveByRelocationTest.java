package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A move on an orchestrator that relocates (the swarm adapter: a constraint update, start-first):
 * the engine asks for the relocation, and the orchestrator starts the new instance and retires the
 * old one itself; a refused relocation leaves the old one running and the move failed.
 */
class MoveByRelocationTest {
  private static final Map<String, Layer> DEVICES = Map.of("c1", Layer.CLOUD, "e1", Layer.EDGE);
  private EngineHarness h;

  @BeforeEach
  void setUp() {
    h = new EngineHarness(InMemoryOrchestrator::withRelocation);
    h.fleet.device("c1");
    h.fleet.device("e1").startLatency(Duration.ofMillis(400));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private void run(long millis) {
    h.run(millis, DEVICES);
  }

  @Test
  void theOrchestratorMovesTheInstanceItself() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(h.engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000);
    assertEquals(List.of("publisher@c1#1"), h.fleet.device("c1").running());

    assertTrue(h.engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(200);
    assertEquals(List.of("publisher@c1#1"), h.fleet.device("c1").running(), "the old one runs until the new one does");
    run(1500);
    assertEquals(List.of(), h.fleet.device("c1").running());
    assertEquals(List.of("publisher@e1#2"), h.fleet.device("e1").running());
    assertEquals(List.of("MIGRATION_STARTED e1#2", "MIGRATION_COMPLETED e1#2"), h.migrationEvents());
    assertEquals("true", h.events.stream().filter(e -> e.type() == AdaptationEvent.Type.MIGRATION_COMPLETED)
        .findFirst().orElseThrow().details().get("relocated"));
    run(2000);
    assertEquals(List.of("publisher@e1#2"), h.fleet.device("e1").running(), "nothing else started: " + h.events);
  }

  @Test
  void aRefusedRelocationLeavesTheOldInstanceRunning() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(h.engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000);
    h.fleet.device("e1").refuseStarts("no suitable node (scheduling constraints not satisfied on 1 node)");
    assertTrue(h.engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(1000);
    assertEquals(List.of("publisher@c1#1"), h.fleet.device("c1").running());
    assertTrue(h.migrationEvents().contains("MIGRATION_FAILED e1#2"), h.migrationEvents().toString());
    assertTrue(h.events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.MIGRATION_FAILED
        && e.reason().contains("scheduling constraints")), h.events.toString());
  }
}
