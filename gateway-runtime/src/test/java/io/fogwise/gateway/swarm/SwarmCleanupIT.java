package io.fogwise.gateway.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Cleanup removes what carries this gateway's label and nothing else, on an engine others use too. */
class SwarmCleanupIT {
  private static final String DEVICE = "swarm-cleanup-dev";

  @Test
  void cleanupRemovesOnlyThisGatewaysServices() throws Exception {
    DockerClient docker = DockerEngine.requireSwarm();
    DockerEngine.require(SwarmIt.IMAGE);
    String gw = SwarmIt.gatewayId("swarm-cl");
    String other = SwarmIt.gatewayId("swarm-cl-other");
    String foreignId = null;
    try (NatsServer hub = NatsServer.start(); SwarmTestNode node = SwarmTestNode.self(docker).label(Labels.DEVICE, DEVICE);
        SwarmOrchestrator orchestrator = SwarmOrchestrator.start(docker, SwarmIt.settings(gw, hub).build(),
            SwarmIt.credentials(gw, hub))) {
      // another gateway's service, and an unlabelled one: neither may be touched (never placed: no node has the label)
      foreignId = docker.createServiceCmd(foreign("fw-" + other + "-svc-1", Map.of(Labels.GATEWAY, other,
          Labels.SERVICE, "svc", Labels.EPOCH, "1", Labels.DEVICE, DEVICE))).exec().getId();
      orchestrator.start(new InstanceIntent("mine", "subscriber", "v1", 1, DEVICE, Map.of()), Orchestrator.StartMode.ACTIVE)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(1, orchestrator.cleanup().toCompletableFuture().get(30, TimeUnit.SECONDS));
      assertTrue(docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec().isEmpty(), "its own are gone");
      assertTrue(docker.listSecretsCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec().isEmpty(), "and their secrets");
      assertEquals(1, docker.listServicesCmd().withIdFilter(List.of(foreignId)).exec().size(), "the other gateway's survives");
    } finally {
      if (foreignId != null) {
        docker.removeServiceCmd(foreignId).exec();
      }
      SwarmIt.removeAll(docker, gw);
    }
  }

  private static ServiceSpec foreign(String name, Map<String, String> labels) {
    return new ServiceSpec().withName(name).withLabels(labels).withTaskTemplate(new TaskSpec()
        .withContainerSpec(new ContainerSpec().withImage(SwarmIt.IMAGE).withLabels(labels))
        .withPlacement(new ServicePlacement().withConstraints(List.of("node.labels." + Labels.DEVICE + "==nowhere-" + name))));
  }
}
