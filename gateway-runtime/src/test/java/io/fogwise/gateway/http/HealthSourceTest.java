package io.fogwise.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.orchestrator.InMemoryOrchestrator;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.rules.host.RuleSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** /health from the published snapshot: UP, DEGRADED with a reason, DOWN when the decision thread is stuck. */
class HealthSourceTest {
  private final ManualClock clock = new ManualClock();
  private final AtomicReference<GatewayEngine> engine = new AtomicReference<>();
  private final AtomicReference<String> nats = new AtomicReference<>("CONNECTED");
  private final HealthSource health = HealthSource.fromSnapshot(engine::get, nats::get, clock);

  @Test
  void upDegradedAndDownFollowTheSnapshotTheLinkAndTheTickAge() throws Exception {
    assertEquals("DOWN", health.now().status());
    assertTrue(health.now().error().contains("not running"));

    try (GatewayEngine e = GatewayEngine.builder().gatewayId("gw").clock(clock)
        .rules(RuleSet.compile("global v0", RuleSet.builtInPacks()))
        .orchestrator(InMemoryOrchestrator.create(new ManualScheduler(clock))).build()) {
      engine.set(e);
      HealthSource.Health h = health.now();
      assertEquals("UP", h.status());
      assertEquals("gw", h.gateway().gatewayId());
      assertEquals(0, h.lastTickAgeMs());
      assertNull(h.error());

      nats.set("DISCONNECTED");
      assertEquals("DEGRADED", health.now().status());
      assertEquals("DISCONNECTED", health.now().nats());
      nats.set("CONNECTED");

      clock.advanceMillis(1500);
      e.tick();
      clock.advanceMillis(2001);
      h = health.now();
      assertEquals("DOWN", h.status());
      assertEquals(2001, h.lastTickAgeMs());
      assertTrue(h.error().contains("decision thread is stuck"), h.error());
      e.tick();
      assertEquals("UP", health.now().status());
    }
  }

  @Test
  void theLeaseOnTheGatewayIdIsReportedWithoutWaiting() throws Exception {
    io.fogwise.gateway.lease.GatewayLease held = io.fogwise.protocol.MessageCodec.mapper().readValue(
        getClass().getResourceAsStream("/golden/gateway-lease.json"), io.fogwise.gateway.lease.GatewayLease.class);
    AtomicReference<java.util.Optional<io.fogwise.gateway.lease.GatewayLease>> lease =
        new AtomicReference<>(java.util.Optional.of(held));
    HealthSource withLease = HealthSource.fromSnapshot(engine::get, nats::get, clock, lease::get);
    assertEquals(held, withLease.now().lease(), "reported even while the engine is down");
    lease.set(java.util.Optional.empty());
    assertNull(withLease.now().lease());
    String json = io.fogwise.protocol.MessageCodec.mapper().writeValueAsString(
        withLease.now().withLease(held));
    assertTrue(json.contains("\"epoch\":" + held.epoch()) && json.contains(held.holder().host()), json);
  }
}
