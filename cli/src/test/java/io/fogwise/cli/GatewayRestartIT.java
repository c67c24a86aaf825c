package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.lease.GatewayLease;
import io.fogwise.gateway.lease.IdLease;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.nats.client.api.KeyValueEntry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway process killed with SIGKILL and started again resumes from its JetStream KV state:
 * the same services, and the running instances untouched (same epochs, data never stops), once
 * the killed process's lease on the id has lapsed (about {@link IdLease#TTL}).
 */
class GatewayRestartIT {
  private static final String GW = "gw-restart";

  @Test
  void aKilledGatewayResumesWithoutRestartingHealthyInstances(@TempDir Path dir) throws Exception {
    Timeline timeline = new Timeline(System.out);
    try (LocalCluster cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()),
        dir, timeline, Subjects.data("restart", "readings"))) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of());
      assertTrue(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent());
      cluster.startAgent("cloud-1", GW, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("edge-1", GW, Layer.EDGE, Map.of(), List.of());
      assertTrue(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent());
      Map<String, String> app = Map.of("app", "restart", "channel", "readings");
      cluster.apply(GW, ServiceSpec.of("sub-cloud", "subscriber", ServiceSpec.Placement.layer(Layer.CLOUD), app));
      cluster.apply(GW, ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.EDGE),
          Map.of("app", "restart", "channel", "readings", "rateHz", "100")));
      assertTrue(obs.awaitData(o -> o.received() >= 200, Duration.ofSeconds(30)));

      cluster.kill(GW);
      timeline.log("killed the gateway with SIGKILL");
      GatewayLease killed = lease(cluster);
      int eventsAtRestart = obs.eventCount();
      long receivedAtRestart = obs.received();
      long restartedAt = System.currentTimeMillis();
      cluster.startGateway(GW, List.of());
      assertTrue(obs.awaitEvent(eventsAtRestart, e -> e.type() == AdaptationEvent.Type.SERVICE_APPLIED
          && e.reason().startsWith("resumed"), Duration.ofSeconds(60)).isPresent(), "the new process resumed");
      // it took the id over only once the killed process's lease had lapsed, with the next epoch
      GatewayLease taken = lease(cluster);
      timeline.log("lease epoch %d of pid %d lapsed at +%d ms; epoch %d taken by pid %d at +%d ms (from the restart)",
          killed.epoch(), killed.holder().pid(), killed.expiresAtMillis() - restartedAt, taken.epoch(),
          taken.holder().pid(), taken.acquiredAtMillis() - restartedAt);
      assertEquals(killed.epoch() + 1, taken.epoch());
      assertTrue(taken.holder().pid() != killed.holder().pid());
      assertTrue(taken.acquiredAtMillis() >= killed.expiresAtMillis(), "not before the old lease lapsed");
      // a status of the new process (the old one's last status is still in the observer)
      assertTrue(obs.awaitStatus(GW, s -> s.startedAtMillis() >= restartedAt && s.devicesIn("ALIVE") == 2
          && s.services() == 2 && s.instances() == 2, Duration.ofSeconds(60)).isPresent());
      // three more seconds of traffic under the new gateway process
      assertTrue(obs.awaitData(o -> o.received() >= receivedAtRestart + 300, Duration.ofSeconds(30)));

      Set<AdaptationEvent.Type> disruptive = EnumSet.of(AdaptationEvent.Type.INSTANCE_STARTING,
          AdaptationEvent.Type.INSTANCE_STOPPED, AdaptationEvent.Type.INSTANCE_FENCED,
          AdaptationEvent.Type.INSTANCE_ABANDONED, AdaptationEvent.Type.DEVICE_LOST);
      List<AdaptationEvent> after = obs.events().stream().skip(eventsAtRestart).map(Observer.Received::message).toList();
      assertTrue(after.stream().noneMatch(e -> disruptive.contains(e.type())), "nothing restarted: " + after);
      assertEquals(1, obs.currentEpoch(), "the publisher kept its epoch");
      assertEquals(0, obs.gaps(), "no message lost while the gateway was down");
      assertEquals(List.of("publisher", "sub-cloud"), cluster.request(GW, ServiceRequest.list()).services().stream()
          .map(ServiceSpec::name).sorted().toList());
    }
  }

  private static GatewayLease lease(LocalCluster cluster) throws Exception {
    KeyValueEntry e = cluster.nats().keyValue(Subjects.desiredBucket(GW)).get(IdLease.KEY);
    return MessageCodec.decode(e.getValue(), GatewayLease.class);
  }
}
