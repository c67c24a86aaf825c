package io.fogwise.gateway.core;

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
import java.util.function.Function;

/**
 * A gateway engine on simulated time with an in-memory fleet, for tests of how it moves and
 * restarts services: heartbeats every 200 ms from the devices it is told about, a tick every 25 ms,
 * and the adaptation events it emitted.
 */
final class EngineHarness implements AutoCloseable {
  private static RuleSet packs;

  final ManualScheduler scheduler = new ManualScheduler(new ManualClock());
  final InMemoryOrchestrator fleet;
  final List<AdaptationEvent> events = new ArrayList<>();
  final GatewayEngine engine;
  private long seq;

  /** @param fleet makes the in-memory orchestrator on this harness's scheduler */
  EngineHarness(Function<ManualScheduler, InMemoryOrchestrator> fleet) {
    this.fleet = fleet.apply(scheduler);
    this.engine = GatewayEngine.builder().gatewayId("gw").clock(scheduler.clock()).rules(packs()).orchestrator(this.fleet)
        .events(events::add).build();
  }

  private static synchronized RuleSet packs() {
    if (packs == null) {
      try {
        packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return packs;
  }

  /**
   * Runs {@code millis} of simulated time: every 200 ms each of {@code devices} (id → layer)
   * heartbeats with what {@code reports} says it runs.
   */
  void run(long millis, Map<String, Layer> devices, Function<String, List<InstanceReport>> reports) {
    for (long t = 0; t < millis; t += 25) {
      if (scheduler.clock().millis() % 200 == 0) {
        devices.forEach((id, layer) -> beat(id, layer, reports.apply(id)));
      }
      engine.tick();
      scheduler.advanceMillis(25);
    }
  }

  /** Runs {@code millis} with {@code devices} reporting what the fleet runs on them. */
  void run(long millis, Map<String, Layer> devices) {
    run(millis, devices, fleet::reports);
  }

  void beat(String id, Layer layer, List<InstanceReport> reports) {
    engine.onHeartbeat(new Heartbeat(id, "gw", seq++, scheduler.clock().wallMillis(), 200, layer, null, Map.of(),
        reports), scheduler.clock().nanos());
  }

  /** The MIGRATION_* events as {@code TYPE device#epoch}. */
  List<String> migrationEvents() {
    return events.stream().filter(e -> e.type().name().startsWith("MIGRATION"))
        .map(e -> e.type() + " " + e.deviceId() + "#" + e.epoch()).toList();
  }

  @Override
  public void close() {
    engine.close();
  }
}
