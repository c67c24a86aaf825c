package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
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
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11, defect 2, as reproduced: the publisher's device is killed and the service fails
 * over; the killed agent is restarted under its own id (DEVICE_RETURNED, still excluded from the
 * publisher); then the new host is killed too. The publisher must run again with a new epoch
 * within a few seconds, on the returned device, because it is the only one left that can run it.
 * Then the other device returns, and an operator's {@code service move --to-device} onto it is
 * accepted, overriding the automatic exclusion, and says so. Real agent and gateway processes;
 * the publisher's epochs are seen by an independent subscriber.
 */
class ReturnedDeviceIT {
  private static final String GW = "gw-return";

  @Test
  void aReturnedDeviceIsUsedWhenItIsTheOnlyOneLeftAndAnOperatorMayMoveOntoIt(@TempDir Path dir) throws Exception {
    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, Subjects.data("ret", "readings"))) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of());
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent());
      cluster.startAgent("edge-1", GW, Layer.EDGE, Map.of("pub", "true"), List.of());
      cluster.startAgent("edge-3", GW, Layer.EDGE, Map.of("pub", "true"), List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent());
      cluster.apply(GW, ServiceSpec.of("publisher", "publisher", new ServiceSpec.Placement(Layer.EDGE,
          Map.of("pub", "true")), Map.of("app", "ret", "channel", "readings", "rateHz", "100")));
      assertTrue(obs.awaitData(o -> o.received() >= 200, Duration.ofSeconds(30)));
      String first = obs.epoch(1).orElseThrow().publisherId();
      String second = "edge-1".equals(first) ? "edge-3" : "edge-1";

      int at = obs.eventCount();
      cluster.kill(first);
      timeline.log("killed %s, the publisher's device", first);
      assertTrue(obs.awaitData(o -> o.currentEpoch() == 2, Duration.ofSeconds(15)), "failed over to epoch 2");
      assertEquals(second, obs.epoch(2).orElseThrow().publisherId());
      assertTrue(obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_EXCLUDED && first.equals(e.deviceId()),
          Duration.ofSeconds(5)).isPresent());

      at = obs.eventCount();
      cluster.startAgent(first, GW, Layer.EDGE, Map.of("pub", "true"), List.of());
      assertTrue(obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_RETURNED && first.equals(e.deviceId()),
          Duration.ofSeconds(60)).isPresent(), first + " returned under its own id");

      at = obs.eventCount();
      long killedAt = System.nanoTime();
      cluster.kill(second);
      timeline.log("killed %s, the new host; %s is the only device left that can run the publisher", second, first);
      assertTrue(obs.awaitData(o -> o.currentEpoch() == 3, Duration.ofSeconds(10)), "the publisher runs again");
      Observer.EpochSeen third = obs.epoch(3).orElseThrow();
      assertEquals(first, third.publisherId(), "on the returned device, although it was excluded");
      long recoveredMs = (third.firstNanos() - killedAt) / 1_000_000L;
      timeline.log("publisher epoch 3 on %s, first message %d ms after %s was killed", first, recoveredMs, second);
      assertTrue(recoveredMs < 5_000, "within a few seconds: " + recoveredMs + " ms");
      Optional<Observer.Received<AdaptationEvent>> lifted = obs.awaitEvent(at, e -> e.type()
          == AdaptationEvent.Type.EXCLUSION_LIFTED && first.equals(e.deviceId()), Duration.ofSeconds(5));
      assertTrue(lifted.isPresent());
      assertTrue(lifted.get().message().reason().contains("no other device can run publisher"),
          lifted.get().message().reason());

      at = obs.eventCount();
      cluster.startAgent(second, GW, Layer.EDGE, Map.of("pub", "true"), List.of());
      assertTrue(obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_RETURNED && second.equals(e.deviceId()),
          Duration.ofSeconds(60)).isPresent(), second + " returned under its own id");
      CliRun move = CliRun.fogwise("service", "move", "publisher", "--to-device", second, "--gateway", GW,
          "--nats", cluster.hub().url(),
        "--home", cluster.hub().identity().dir().toString());
      timeline.log("fogwise service move publisher --to-device %s: %s", second, move);
      assertEquals(0, move.exit(), move.toString());
      assertTrue(move.out().contains("note: overrides the automatic exclusion of publisher from " + second),
          move.toString());
      assertTrue(obs.awaitData(o -> o.currentEpoch() == 4, Duration.ofSeconds(15)), "moved");
      assertEquals(second, obs.epoch(4).orElseThrow().publisherId());
      long moved = obs.received();
      assertTrue(obs.awaitData(o -> o.received() >= moved + 100, Duration.ofSeconds(15)));
      assertEquals(0, obs.duplicates(), "no duplicates");
    }
  }
}
