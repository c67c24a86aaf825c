package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.Role;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Defect 6 of issue 11, as reproduced: a {@code fogwise gateway --ephemeral} started by mistake
 * beside a running gateway with the same id (even on the same HTTP port) used to fence the
 * fleet's instances. Now it refuses to start, naming the holder, and nothing is fenced, stopped
 * or restarted.
 */
class DuplicateGatewayIT {
  private static final String GW = "gw-dup";
  private static final Set<AdaptationEvent.Type> DISRUPTIVE = EnumSet.of(AdaptationEvent.Type.INSTANCE_FENCED,
      AdaptationEvent.Type.INSTANCE_STOPPED, AdaptationEvent.Type.INSTANCE_STARTING,
      AdaptationEvent.Type.INSTANCE_ABANDONED, AdaptationEvent.Type.DEVICE_LOST);

  @Test
  void aSecondGatewayWithTheSameIdRefusesToStartNamingTheHolderAndFencesNothing(@TempDir Path dir) throws Exception {
    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, Subjects.data("dup", "readings"))) {
      Observer obs = cluster.observer();
      // an independent subscriber on the gateway's events, besides the observer
      List<AdaptationEvent> events = new CopyOnWriteArrayList<>();
      cluster.nats().createDispatcher(m -> {
        try {
          events.add(MessageCodec.decode(m.getData(), AdaptationEvent.class));
        } catch (Exception e) {
          throw new AssertionError("unreadable event", e);
        }
      }).subscribe(Subjects.events(GW));
      Process holder = cluster.startGateway(GW, List.of());
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent());
      cluster.startAgent("cloud-1", GW, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("edge-1", GW, Layer.EDGE, Map.of(), List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent());
      Map<String, String> app = Map.of("app", "dup", "channel", "readings");
      cluster.apply(GW, ServiceSpec.of("sub-cloud", "subscriber", ServiceSpec.Placement.layer(Layer.CLOUD), app));
      cluster.apply(GW, ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.EDGE),
          Map.of("app", "dup", "channel", "readings", "rateHz", "100")));
      assertTrue(obs.awaitData(o -> o.received() >= 200, Duration.ofSeconds(30)));
      assertEquals(1, obs.currentEpoch());

      int eventsBefore = events.size();
      long receivedBefore = obs.received();
      // the mistake of the defect: the same id, ephemeral, and even the same HTTP port
      long started = System.nanoTime();
      List<String> args = new ArrayList<>(List.of("gateway", "--id", GW, "--nats", cluster.hub().url(),
          "--http-port", Integer.toString(cluster.httpPort(GW)), "--ephemeral"));
      args.addAll(cluster.identityArgs(Role.GATEWAY, GW, null)); // the same credentials too
      Process second = cluster.launch("gw-dup-2", args, ComponentLauncher.GATEWAY_JVM);
      timeline.log("second gateway with id %s started (pid %d)", GW, second.pid());
      assertTrue(second.waitFor(60, TimeUnit.SECONDS), "the second gateway exits on its own");
      long exitedMs = (System.nanoTime() - started) / 1_000_000;
      String log = Files.readString(dir.resolve("gw-dup-2.log"));
      timeline.log("second gateway exited with %d after %d ms:%n%s", second.exitValue(), exitedMs, log.strip());
      assertEquals(GatewayCommand.EXIT_ID_IN_USE, second.exitValue(), log);
      List<String> refusal = log.lines().filter(l -> l.startsWith("fogwise gateway: ")).toList();
      assertEquals(1, refusal.size(), log);
      assertTrue(refusal.get(0).contains("gateway id " + GW + " is already in use by pid " + holder.pid() + " on host "),
          refusal.get(0));
      assertTrue(refusal.get(0).contains(" since "), refusal.get(0));
      assertFalse(log.contains("\tat ") || log.contains("Exception"), "no stack trace:\n" + log);
      assertFalse(log.contains("port"), "refused before it tried the HTTP port:\n" + log);

      // the fleet did not notice: same epoch, data keeps flowing, nothing fenced, stopped or restarted
      assertTrue(obs.awaitData(o -> o.received() >= receivedBefore + 300, Duration.ofSeconds(30)));
      List<AdaptationEvent> after = events.subList(eventsBefore, events.size());
      assertTrue(after.stream().noneMatch(e -> DISRUPTIVE.contains(e.type())), "nothing disrupted: " + after);
      assertEquals(1, obs.currentEpoch(), "the publisher kept its epoch");
      assertEquals(0, obs.gaps(), "no message lost");
      assertTrue(holder.isAlive(), "the holder runs on");
      assertTrue(obs.awaitStatus(GW, s -> s.instances() == 2, Duration.ofSeconds(10)).isPresent());
    }
  }
}
