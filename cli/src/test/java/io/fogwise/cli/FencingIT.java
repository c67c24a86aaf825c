package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fencing of a returning device, with real processes: the publisher's agent is frozen with
 * SIGSTOP, declared lost and failed over; then SIGCONT resumes the same process with its stale
 * instance (and whatever its connection buffered). The gateway must stop the stale instance,
 * and subscribers must drop its messages as stale.
 */
class FencingIT {
  private static final String GW = "gw-fence";
  private static final String DATA = Subjects.data("fence", "readings");

  @Test
  void aFrozenDeviceThatComesBackHasItsStaleInstanceStoppedAndItsMessagesDropped(@TempDir Path dir) throws Exception {
    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, DATA)) {
      Observer obs = cluster.observer();
      List<Long> staleArrivals = new CopyOnWriteArrayList<>();
      cluster.nats().createDispatcher(m -> {
        try {
          AppMessage a = MessageCodec.decode(m.getData(), AppMessage.class);
          if (a.epoch() == 1 && obs.currentEpoch() > 1) {
            staleArrivals.add(System.nanoTime());
          }
        } catch (Exception ignored) {
          // counted by the observer
        }
      }).subscribe(DATA);
      AtomicReference<Heartbeat> lastBeat = new AtomicReference<>();
      List<Long> beatArrivals = new CopyOnWriteArrayList<>();
      cluster.startGateway(GW, List.of("--ephemeral"));
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent());
      cluster.startAgent("edge-1", GW, Layer.EDGE, Map.of("pub", "true"), List.of());
      cluster.startAgent("edge-2", GW, Layer.EDGE, Map.of("pub", "true"), List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent());
      cluster.apply(GW, ServiceSpec.of("publisher", "publisher", new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
          Map.of("app", "fence", "channel", "readings", "rateHz", "100")));
      assertTrue(obs.awaitData(o -> o.received() >= 200, Duration.ofSeconds(30)));
      String victim = obs.epoch(1).orElseThrow().publisherId();
      cluster.nats().createDispatcher(m -> {
        try {
          lastBeat.set(MessageCodec.decode(m.getData(), Heartbeat.class));
          beatArrivals.add(System.nanoTime());
        } catch (Exception ignored) {
          // the gateway counts those
        }
      }).subscribe(Subjects.heartbeat(GW, victim));

      long pid = cluster.process(victim).pid();
      signal("STOP", pid);
      timeline.log("SIGSTOP %s (pid %d)", victim, pid);
      int at = obs.eventCount();
      assertTrue(obs.awaitEvent(at, e -> e.type() == AdaptationEvent.Type.DEVICE_LOST && victim.equals(e.deviceId()),
          Duration.ofSeconds(15)).isPresent(), "frozen device declared lost");
      assertTrue(obs.awaitData(o -> o.currentEpoch() == 2, Duration.ofSeconds(15)), "failed over to epoch 2");
      assertTrue(obs.awaitData(o -> o.epoch(2).map(e -> e.count() >= 50).orElse(false), Duration.ofSeconds(15)));

      int beforeCont = obs.eventCount();
      long contNanos = System.nanoTime();
      signal("CONT", pid);
      timeline.log("SIGCONT %s", victim);
      assertTrue(obs.awaitEvent(beforeCont, e -> e.type() == AdaptationEvent.Type.DEVICE_RETURNED
          && victim.equals(e.deviceId()), Duration.ofSeconds(15)).isPresent(), "device returned");
      var fenced = obs.awaitEvent(beforeCont, e -> e.type() == AdaptationEvent.Type.INSTANCE_FENCED
          && victim.equals(e.deviceId()) && e.epoch() == 1, Duration.ofSeconds(15));
      assertTrue(fenced.isPresent(), "stale instance fenced");
      assertTrue(obs.awaitData(o -> {
        Heartbeat hb = lastBeat.get();
        return hb != null && hb.instances().isEmpty();
      }, Duration.ofSeconds(15)), "the returning device no longer runs the stale instance");
      long settled = obs.received();
      assertTrue(obs.awaitData(o -> o.received() >= settled + 100, Duration.ofSeconds(15)));

      assertEquals(0, obs.duplicates(), "no duplicates");
      assertEquals(2, obs.currentEpoch(), "epoch 2 stays the primary");
      assertEquals("edge-1".equals(victim) ? "edge-2" : "edge-1", obs.epoch(2).orElseThrow().publisherId());
      assertTrue(obs.staleEpoch() == staleArrivals.size(), "every stale message was counted and dropped");
      long firstBeat = beatArrivals.stream().filter(t -> t > contNanos).findFirst().orElse(contNanos);
      timeline.log("first heartbeat of %s after SIGCONT reached the hub %d ms after SIGCONT", victim,
          (firstBeat - contNanos) / 1_000_000);
      if (!staleArrivals.isEmpty()) {
        long first = staleArrivals.get(0);
        long last = staleArrivals.get(staleArrivals.size() - 1);
        timeline.log("stale messages after SIGCONT: %d, from %d ms to %d ms after SIGCONT (two primaries for %d ms);"
                + " fenced %d ms after SIGCONT", staleArrivals.size(), (first - contNanos) / 1_000_000,
            (last - contNanos) / 1_000_000, (last - first) / 1_000_000, (fenced.get().nanos() - contNanos) / 1_000_000);
      } else {
        timeline.log("no stale message reached the hub after SIGCONT; fenced %d ms after SIGCONT",
            (fenced.get().nanos() - contNanos) / 1_000_000);
      }
    }
  }

  private static void signal(String sig, long pid) throws Exception {
    Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start();
    assertEquals(0, p.waitFor(), "kill -" + sig + " " + pid);
  }
}
