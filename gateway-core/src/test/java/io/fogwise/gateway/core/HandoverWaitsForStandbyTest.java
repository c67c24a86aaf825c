package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.InstanceReport;
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
 * A move with hand-over hands over only once the device reports the idle instance: a START is
 * answered before a container's JVM is up, and the subscribers' gap must not include its boot.
 * Here the new device's heartbeats leave its new instance out after the START: the old instance
 * keeps producing until the new one is reported, then the hand-over follows.
 */
class HandoverWaitsForStandbyTest {
  private static final Map<String, Layer> DEVICES = Map.of("c1", Layer.CLOUD, "e1", Layer.EDGE);
  private EngineHarness h;

  @BeforeEach
  void setUp() {
    h = new EngineHarness(InMemoryOrchestrator::create);
    h.fleet.device("c1");
    h.fleet.device("e1").startLatency(Duration.ofMillis(50));
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  /** The edge device heartbeats all along, but reports its new instance only when {@code edgeHeard}. */
  private void run(long millis, boolean edgeHeard) {
    h.run(millis, DEVICES, id -> id.equals("e1") && !edgeHeard ? List.of() : h.fleet.reports(id));
  }

  private boolean activeOn(String device) {
    return h.fleet.reports(device).stream().anyMatch(r -> r.state() == InstanceReport.InstanceState.RUNNING);
  }

  @Test
  void theHandOverWaitsUntilTheIdleInstanceIsReported() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(h.engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000, true);
    assertTrue(activeOn("c1"));

    assertTrue(h.engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(2000, false);
    // started (answered) on e1, idle there, not yet reported: the old instance still produces
    assertEquals(List.of("publisher@e1#2"), h.fleet.device("e1").running());
    assertTrue(activeOn("c1"), "no hand-over before the idle instance is reported: " + h.fleet.reports("c1"));
    assertEquals(List.of("MIGRATION_STARTED e1#2"), h.migrationEvents());

    run(1000, true);
    assertTrue(activeOn("e1"), "handed over once reported: " + h.fleet.reports("e1"));
    assertEquals(List.of("MIGRATION_STARTED e1#2", "MIGRATION_COMPLETED e1#2"), h.migrationEvents());
  }

  @Test
  void anIdleInstanceNeverReportedAbortsTheMoveAndTheOldOneKeepsProducing() {
    ServiceSpec spec = ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of());
    assertTrue(h.engine.handle(ServiceRequest.apply(spec)).ok());
    run(1000, true);
    assertTrue(h.engine.handle(ServiceRequest.moveToLayer("publisher", Layer.EDGE)).ok());
    run(7000, false); // past the 5 s start timeout
    assertTrue(activeOn("c1"), "still producing in the cloud");
    assertTrue(h.migrationEvents().contains("MIGRATION_FAILED e1#2"), h.migrationEvents().toString());
  }
}
