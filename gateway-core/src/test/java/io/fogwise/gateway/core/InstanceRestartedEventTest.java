package io.fogwise.gateway.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A device that restarts a crashed instance says so in its heartbeat; the gateway turns it into an event with the reason. */
class InstanceRestartedEventTest {
  private EngineHarness h;

  @BeforeEach
  void setUp() {
    h = new EngineHarness(InMemoryOrchestrator::create);
  }

  @AfterEach
  void tearDown() {
    h.close();
  }

  private void beat(InstanceReport r) {
    h.beat("e1", Layer.EDGE, List.of(r));
    h.scheduler.advanceMillis(200);
  }

  private List<AdaptationEvent> restarted() {
    return h.events.stream().filter(e -> e.type() == AdaptationEvent.Type.INSTANCE_RESTARTED).toList();
  }

  @Test
  void eachReportedRestartIsAnEventWithTheDevicesReason() {
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RUNNING, 0, 10L, null));
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RUNNING, 0, 20L, null));
    assertTrue(restarted().isEmpty());
    String why = "container fw-e1-pub-e3-1 (fogwise/publisher:latest) exited with code 2";
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RESTARTING, 1, 20L, why));
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RESTARTING, 1, 20L, why));
    assertEquals(1, restarted().size(), h.events.toString());
    assertTrue(restarted().get(0).reason().contains(why), restarted().get(0).reason());
    assertEquals("e1", restarted().get(0).deviceId());
    beat(new InstanceReport("pub", "publisher", 3, InstanceReport.InstanceState.RESTARTING, 2, 20L, why));
    assertEquals(2, restarted().size());
  }
}
