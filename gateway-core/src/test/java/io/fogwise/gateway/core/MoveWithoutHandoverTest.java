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
 * A move on an orchestrator without hand-over (a container engine): the engine starts the new
 * instance, waits until its device reports it running, and only then stops the old one; a new
 * instance that never comes up leaves the old one running.
 */
class MoveWithoutHandoverTest {
  private static RuleSet packs;

  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  private final InMemoryOrchestrator fleet = InMemoryOrchestrator.withoutHandover(scheduler);
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
    fleet.device("e1").startLatency(Duration.ofMillis(650));
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
    return events.stream().filter(e -> e.type().name().startsWith("MIGRATION") || e.type() == AdaptationEvent.Type.INSTANCE_STARTED)
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
