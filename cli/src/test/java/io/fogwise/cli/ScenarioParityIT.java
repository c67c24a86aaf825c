package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.scenario.Expectation;
import io.fogwise.gateway.core.scenario.Scenario;
import io.fogwise.gateway.core.scenario.ScenarioResult;
import io.fogwise.gateway.core.scenario.ScenarioRunner;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AdaptationEvent.Type;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scenario kit and a real fleet run the same engine, so the same situation gives the same
 * adaptation events: a failover (the publisher's device is killed with SIGKILL) and a planned
 * move (to another layer), once through the scenario kit on simulated time and once with a
 * hub, a gateway and agents as OS processes, compared event by event (type, device, epoch).
 */
class ScenarioParityIT {
  private static final String GW = "gw-parity";
  private static final String DATA = Subjects.data("parity", "readings");
  /** What the comparison covers: decisions and their outcomes, not joins or policy events. */
  private static final Set<Type> COMPARED = Set.of(Type.SERVICE_APPLIED, Type.DEVICE_LOST, Type.DEVICE_EXCLUDED,
      Type.INSTANCE_STARTING, Type.INSTANCE_STARTED, Type.INSTANCE_START_FAILED, Type.INSTANCE_STOPPED,
      Type.INSTANCE_FENCED, Type.INSTANCE_ABANDONED, Type.MIGRATION_STARTED, Type.MIGRATION_COMPLETED,
      Type.MIGRATION_FAILED);
  private static ScenarioRunner packs;

  @BeforeAll
  static void compile() throws Exception {
    packs = ScenarioRunner.builtInPacks();
  }

  private static ServiceSpec publisher(Layer layer, Map<String, String> labels) {
    return ServiceSpec.of("publisher", "publisher", new ServiceSpec.Placement(layer, labels),
        Map.of("app", "parity", "channel", "readings", "rateHz", "50"));
  }

  private static List<String> sequence(List<AdaptationEvent> events, Predicate<AdaptationEvent> also) {
    return events.stream().filter(e -> COMPARED.contains(e.type()) && also.test(e))
        .filter(e -> e.service() == null || e.service().equals("publisher"))
        .map(e -> e.type() + (e.deviceId() == null ? "" : " " + e.deviceId()) + (e.epoch() == 0 ? "" : "#" + e.epoch()))
        .toList();
  }

  @Test
  void aFailoverGivesTheSameEventsInTheKitAndOnRealProcesses(@TempDir Path dir) throws Exception {
    Map<String, String> pub = Map.of("pub", "true");
    ScenarioResult kit = packs.run(Scenario.named("failover parity")
        .device("edge-1", Layer.EDGE, pub).device("edge-2", Layer.EDGE, pub)
        .service(publisher(Layer.EDGE, pub))
        .heartbeatsStop("3s", "edge-1")
        .runFor("8s")
        .expect(Expectation.declareLost("edge-1"))
        .build());
    kit.assertPassed();
    List<String> expected = sequence(kit.events(), e -> true);
    assertEquals(List.of("SERVICE_APPLIED", "INSTANCE_STARTING edge-1#1", "INSTANCE_STARTED edge-1#1",
        "DEVICE_LOST edge-1", "DEVICE_EXCLUDED edge-1", "INSTANCE_ABANDONED edge-1#1", "INSTANCE_STARTING edge-2#2",
        "INSTANCE_STARTED edge-2#2"), expected, "the kit's own sequence");

    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, DATA)) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of("--ephemeral"));
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent());
      // edge-1 alone first, so the publisher lands where the kit puts it (ties go to the lower id there;
      // here real CPU loads would decide)
      cluster.startAgent("edge-1", GW, Layer.EDGE, pub, List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 1, Duration.ofSeconds(60)).isPresent());
      cluster.apply(GW, publisher(Layer.EDGE, pub));
      assertTrue(obs.awaitEvent(0, e -> e.type() == Type.INSTANCE_STARTED, Duration.ofSeconds(30)).isPresent());
      cluster.startAgent("edge-2", GW, Layer.EDGE, pub, List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent());
      cluster.kill("edge-1");
      assertTrue(obs.awaitEvent(0, e -> e.type() == Type.INSTANCE_STARTED && "edge-2".equals(e.deviceId()),
          Duration.ofSeconds(30)).isPresent(), "failed over to edge-2");
      List<AdaptationEvent> real = obs.events().stream().map(Observer.Received::message).toList();
      assertEquals(expected, sequence(real, e -> true), "real processes, same events");
    }
  }

  @Test
  void aPlannedMoveGivesTheSameEventsInTheKitAndOnRealProcesses(@TempDir Path dir) throws Exception {
    ScenarioResult kit = packs.run(Scenario.named("move parity")
        .device("cloud-1", Layer.CLOUD).device("edge-1", Layer.EDGE)
        .service(publisher(Layer.CLOUD, Map.of()))
        .apply("2s", publisher(Layer.EDGE, Map.of()))
        .runFor("5s")
        .expect(Expectation.of("migrated").field("device", "edge-1"))
        .build());
    kit.assertPassed();
    // a confirmation heartbeat and the hand-over replies race on real devices: compare the
    // decisions in order, and the confirmations as a set
    Predicate<AdaptationEvent> decisions = e -> e.type() != Type.INSTANCE_STARTED;
    Predicate<AdaptationEvent> confirmations = e -> e.type() == Type.INSTANCE_STARTED;
    List<String> expected = sequence(kit.events(), decisions);
    assertEquals(List.of("SERVICE_APPLIED", "INSTANCE_STARTING cloud-1#1", "SERVICE_APPLIED",
        "MIGRATION_STARTED edge-1#2", "MIGRATION_COMPLETED edge-1#2"), expected, "the kit's own sequence");
    Set<String> expectedConfirmations = Set.copyOf(sequence(kit.events(), confirmations));
    assertEquals(Set.of("INSTANCE_STARTED cloud-1#1", "INSTANCE_STARTED edge-1#2"), expectedConfirmations);

    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, DATA)) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of("--ephemeral"));
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent());
      cluster.startAgent("cloud-1", GW, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("edge-1", GW, Layer.EDGE, Map.of(), List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent());
      cluster.apply(GW, publisher(Layer.CLOUD, Map.of()));
      assertTrue(obs.awaitEvent(0, e -> e.type() == Type.INSTANCE_STARTED, Duration.ofSeconds(30)).isPresent());
      cluster.apply(GW, publisher(Layer.EDGE, Map.of()));
      assertTrue(obs.awaitEvent(0, e -> e.type() == Type.MIGRATION_COMPLETED, Duration.ofSeconds(30)).isPresent());
      assertTrue(obs.awaitEvent(0, e -> e.type() == Type.INSTANCE_STARTED && "edge-1".equals(e.deviceId()),
          Duration.ofSeconds(30)).isPresent());
      List<AdaptationEvent> real = obs.events().stream().map(Observer.Received::message).toList();
      assertEquals(expected, sequence(real, decisions), "real processes, same decisions");
      assertEquals(expectedConfirmations, Set.copyOf(sequence(real, confirmations)), "and the same confirmations");
    }
  }
}
