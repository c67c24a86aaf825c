package io.fogwise.gateway.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.orchestrator.OrchestratorContract;
import io.fogwise.protocol.ContainerSpec;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code swarm} adapter against the real Docker engine (a one-node Swarm) and a real secure
 * hub: the one node is labelled as the fixture's device for each test and put back afterwards.
 * Instances run the real subscriber image with their own credentials (a Swarm secret) and the
 * hub's CA (a bind mount). Reports are the adapter's watcher's, i.e. what Swarm reports; one test
 * cross-checks them with an independent listing of the tasks. Swarm declares no HANDOVER, so the
 * contract checks that a hand-over is refused.
 */
class SwarmOrchestratorContractIT extends OrchestratorContract {
  private static final String DEVICE = "swarm-contract-dev";
  private static DockerClient docker;
  private static NatsServer hub;
  private static String gw;
  private static SwarmFixture current;

  @BeforeAll
  static void engineAndHub() {
    docker = DockerEngine.requireSwarm();
    DockerEngine.require(SwarmIt.IMAGE);
    hub = NatsServer.start();
    gw = SwarmIt.gatewayId("swarm-ct");
  }

  @AfterAll
  static void stopHub() {
    if (docker != null && gw != null) {
      SwarmIt.removeAll(docker, gw);
    }
    if (hub != null) {
      hub.close();
    }
  }

  @Override
  protected Fixture fixture() {
    current = new SwarmFixture();
    return current;
  }

  /** What Swarm itself lists for the fixture's device matches what the adapter reports. */
  @Test
  void reportsMatchAnIndependentListingOfTheTasks() throws Exception {
    SwarmFixture f = current;
    f.complete(f.orchestrator.start(f.runnable("svc-x", 5), Orchestrator.StartMode.ACTIVE));
    f.await("svc-x reported running", () -> f.reports().stream()
        .anyMatch(r -> r.service().equals("svc-x") && r.state() == InstanceReport.InstanceState.RUNNING));
    List<Task> running = SwarmIt.tasks(docker, gw, "svc-x").stream()
        .filter(t -> t.getStatus().getState() == TaskState.RUNNING && t.getDesiredState() == TaskState.RUNNING)
        .toList();
    assertEquals(1, running.size(), "one task runs: " + running);
    Task t = running.get(0);
    assertEquals(f.node.id(), t.getNodeId(), "placed on the node labelled " + DEVICE);
    assertEquals("5", t.getSpec().getContainerSpec().getLabels().get(Labels.EPOCH));
    assertTrue(t.getSpec().getPlacement().getConstraints().contains("node.labels." + Labels.DEVICE + "==" + DEVICE),
        t.getSpec().getPlacement().getConstraints().toString());
    InstanceReport r = f.reports().stream().filter(x -> x.service().equals("svc-x")).findFirst().orElseThrow();
    assertEquals(5, r.epoch());
    assertEquals("subscriber", r.kind());
  }

  private static final class SwarmFixture implements Fixture {
    final SwarmTestNode node;
    final SwarmOrchestrator orchestrator;

    SwarmFixture() {
      node = SwarmTestNode.self(docker).label(Labels.DEVICE, DEVICE).label(Labels.LAYER, "EDGE");
      orchestrator = SwarmOrchestrator.start(docker, SwarmIt.settings(gw, hub).build(), SwarmIt.credentials(gw, hub));
    }

    @Override
    public Orchestrator orchestrator() {
      return orchestrator;
    }

    @Override
    public InstanceIntent runnable(String service, long epoch) {
      return new InstanceIntent(service, "subscriber", "v1", epoch, DEVICE, Map.of());
    }

    @Override
    public InstanceIntent runnableOnSecondDevice(String service, long epoch) {
      throw new UnsupportedOperationException("swarm has no HANDOVER: the contract needs no second device");
    }

    @Override
    public InstanceIntent unstartable(String service, long epoch) {
      return new InstanceIntent(service, "subscriber", "v1", epoch, DEVICE, Map.of(),
          new ContainerSpec(SwarmIt.MISSING_IMAGE, Map.of(), null));
    }

    @Override
    public void killFromOutside(String service, long epoch) {
      Task t = SwarmIt.tasks(docker, gw, service).stream()
          .filter(x -> x.getStatus().getState() == TaskState.RUNNING
              && String.valueOf(epoch).equals(x.getSpec().getContainerSpec().getLabels().get(Labels.EPOCH)))
          .findFirst().orElseThrow(() -> new AssertionError("no running task of " + service + " epoch " + epoch));
      docker.killContainerCmd(t.getStatus().getContainerStatus().getContainerID()).exec();
    }

    @Override
    public List<InstanceReport> reports() {
      return orchestrator.view().instancesOn(DEVICE);
    }

    @Override
    public List<InstanceReport> secondDeviceReports() {
      return List.of();
    }

    @Override
    public void await(String what, BooleanSupplier condition) {
      Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(condition::getAsBoolean);
    }

    @Override
    public <T> T complete(CompletionStage<T> stage) throws Exception {
      return join(stage, Duration.ofSeconds(45));
    }

    @Override
    public void close() throws Exception {
      try {
        orchestrator.cleanup().toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
      } finally {
        orchestrator.close();
        SwarmIt.removeAll(docker, gw);
        node.close();
      }
    }
  }
}
