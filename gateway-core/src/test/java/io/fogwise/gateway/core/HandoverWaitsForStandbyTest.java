package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
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
 * A move with hand-over hands over only once the device reports the idle instance: a START is
 * answered before a container's JVM is up, and the subscribers' gap must not include its boot.
 * Here the new device's heartbeats are held back after the START: the old instance keeps
 * producing until the new one is reported, then the hand-over follows.
 */
class HandoverWaitsForStandbyTest {
  private static RuleSet packs;

  private final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  private final InMemoryOrchestrator fleet = InMemoryOrchestrator.create(scheduler);
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
    fleet.device("e1").startLatency(Duration.ofMillis(50));
  }

  @AfterEach
  void tearDown() {
    engine.close();
  }

  private void run(long millis, boolean edgeHeard) {
    for (long t = 0; t < millis; t += 25) {
      if (scheduler.clock().millis() % 200 == 0) {
        beat("c1", Layer.CLOUD, fleet.reports("c1"));
        // the edge device heartbeats all along, but reports its new instance only when heard
        beat("e1", Layer.EDGE, edgeHeard ? fleet.reports("e1") : List.of());
      }
      engine.tick();
      scheduler.advanceMillis(25);
    }
  }

  private void beat(String id, Layer layer, List<InstanceReport> reports) {
    engine.onHeartbeat(new Heartbeat(id, "gw", seq++, scheduler.clock().wallMillis(), 200, layer, null, Map.of(),
        reports), scheduler.clock().nanos());
  }

  private List<String> migrationEvents() {
    return events.stream().filter(e -> e.type().name().startsWith("MIGRATION"))
        .map(e -> e.type() + " " + e.deviceId() + "#" + e.epoch()).toList();
  }

  private boolean activeOn(String device) {
    return fleet.reports(device).stream().anyMatch(r -> r.state() == InstanceReport.InstanceState.RUNNING);
  }

  @Test
  void theHandOverWaitsUntilTheIdleInstanceIsReported() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000, true);
    assertTrue(activeOn("c1"));

    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(2000, false);
    // started (answered) on e1, idle there, not yet reported: the old instance still produces
    assertEquals(List.of("publisher@e1#2"), fleet.device("e1").running());
    assertTrue(activeOn("c1"), "no hand-over before the idle instance is reported: " + fleet.reports("c1"));
    assertEquals(List.of("MIGRATION_STARTED e1#2"), migrationEvents());

    run(1000, true);
    assertTrue(activeOn("e1"), "handed over once reported: " + fleet.reports("e1"));
    assertEquals(List.of("MIGRATION_STARTED e1#2", "MIGRATION_COMPLETED e1#2"), migrationEvents());
  }

  @Test
  void anIdleInstanceNeverReportedAbortsTheMoveAndTheOldOneKeepsProducing() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000, true);
    assertTrue(engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(7000, false); // past the 5 s start timeout
    assertTrue(activeOn("c1"), "still producing in the cloud");
    assertTrue(migrationEvents().contains("MIGRATION_FAILED e1#2"), migrationEvents().toString());
  }
}
