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
 * A move on an orchestrator without hand-over (a container engine): the engine starts the new
 * instance, waits until its device reports it running, and only then stops the old one; a new
 * instance that never comes up leaves the old one running.
 */
class MoveWithoutHandoverTest {
  private static final Map<String, Layer> DEVICES = Map.of("c1", Layer.CLOUD, "e1", Layer.EDGE);
  private EngineHarness h;
  private InMemoryOrchestrator fleet;
  private GatewayEngine engine;

  @BeforeEach
  void setUp() {
    h = new EngineHarness(InMemoryOrchestrator::withoutHandover);
    fleet = h.fleet;
    engine = h.engine;
    fleet.device("c1");
    fleet.device("e1").startLatency(Duration.ofMillis(650));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private void run(long millis) {
    h.run(millis, DEVICES);
  }

  private List<String> migrationEvents() {
    return h.events.stream().filter(e -> e.type().name().startsWith("MIGRATION") || e.type() == AdaptationEvent.Type.INSTANCE_STARTED)
        .map(e -> e.type() + " " + e.deviceId() + "#" + e.epoch()).toList();
  }

  @Test
  void theOldInstanceStopsOnlyAfterTheNewOneIsReportedRunning() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000);
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running());

    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(400);
    // the new instance is still starting (650 ms on e1): the old one is untouched
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running());
    assertEquals(List.of("INSTANCE_STARTED c1#1", "MIGRATION_STARTED e1#2"), migrationEvents());
    run(300);
    // started, not yet reported running (next heartbeat at 800 ms): both run
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running());
    assertEquals(List.of("publisher@e1#2"), fleet.device("e1").running());
    run(1000);
    assertEquals(List.of(), fleet.device("c1").running(), "the old instance stopped");
    assertEquals(List.of("INSTANCE_STARTED c1#1", "MIGRATION_STARTED e1#2", "INSTANCE_STARTED e1#2",
        "MIGRATION_COMPLETED e1#2"), migrationEvents());
  }

  @Test
  void aNewInstanceThatNeverComesUpLeavesTheOldOneRunning() {
    fleet.device("e1").startLatency(Duration.ofSeconds(30));
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000);
    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(6000);
    assertEquals(List.of("publisher@c1#1"), fleet.device("c1").running(), "still serving from the cloud");
    assertTrue(migrationEvents().contains("MIGRATION_FAILED e1#2"), migrationEvents().toString());
  }
}
