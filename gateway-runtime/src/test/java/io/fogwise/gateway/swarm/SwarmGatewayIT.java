package io.fogwise.gateway.swarm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code fogwise gateway --orchestrator swarm} end to end: the labelled node becomes a device from
 * the Swarm's reports alone (no agent), a service applied to the gateway runs there as a Swarm
 * service, and deleting it removes that service.
 */
class SwarmGatewayIT {
  private static final String DEVICE = "swarm-gw-dev";

  @Test
  void theLabelledNodeIsADeviceAndAnAppliedServiceRunsOnIt() throws Exception {
    DockerClient docker = DockerEngine.requireSwarm();
    DockerEngine.require(SwarmIt.IMAGE);
    String gw = SwarmIt.gatewayId("swarm-gw");
    try (NatsServer hub = NatsServer.start();
        SwarmTestNode node = SwarmTestNode.self(docker).label(Labels.DEVICE, DEVICE).label(Labels.LAYER, "FOG")) {
      GatewayConfig config = GatewayConfig.builder(gw, hub.url()).durable(false)
          .auth(hub.auth(Role.GATEWAY, gw))
          .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(gw)), Duration.ZERO)
          .orchestration(GatewayConfig.Orchestration.SWARM)
          .build();
      try (Gateway gateway = Gateway.start(config)) {
        Awaitility.await("the node is a FOG device").atMost(Duration.ofSeconds(20)).until(() -> gateway.query(e ->
            e.registry().get(DEVICE) != null && e.registry().get(DEVICE).getLayer() == Layer.FOG));
        ServiceSpec spec = new ServiceSpec("swarm-sub", "subscriber", SwarmIt.IMAGE, "1", 1,
            ServiceSpec.Placement.layer(Layer.FOG), Map.of(), Map.of(), false, null);
        assertTrue(gateway.query(e -> e.handle(ServiceRequest.apply(spec))).ok());
        Awaitility.await("the instance runs on the node").atMost(Duration.ofSeconds(30)).until(() -> gateway.query(e ->
            e.placements().stream().anyMatch(p -> p.service().equals("swarm-sub") && p.deviceId().equals(DEVICE)
                && p.state() == Placement.State.RUNNING)));
        assertTrue(!SwarmIt.tasks(docker, gw, "swarm-sub").isEmpty(), "a Swarm service of this gateway runs it");
        // the instance really is on the bus with the credentials the adapter gave it: an
        // independent subscription hears the subscriber's own statistics
        java.util.concurrent.CountDownLatch stats = new java.util.concurrent.CountDownLatch(1);
        try (io.nats.client.Connection observer = hub.connect()) {
          observer.createDispatcher(m -> stats.countDown()).subscribe(io.fogwise.protocol.Subjects.subscriberStats("swarm-sub"));
          assertTrue(stats.await(30, java.util.concurrent.TimeUnit.SECONDS),
              "no statistics from the subscriber instance on the Swarm: did it connect with its credentials?");
        }
        assertTrue(gateway.query(e -> e.handle(ServiceRequest.delete("swarm-sub"))).ok());
        Awaitility.await("its Swarm service is removed").atMost(Duration.ofSeconds(30))
            .until(() -> SwarmIt.tasks(docker, gw, "swarm-sub").isEmpty());
      }
    } finally {
      SwarmIt.removeAll(docker, gw);
    }
  }
}
