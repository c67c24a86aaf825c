package io.fogwise.gateway.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.UpdateOrder;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Placement on the real one-node Swarm: a start constrained to a device no node is waits with
 * Swarm's own reason and runs once the node gets the label; one that waits beyond the bound fails
 * with that reason and leaves nothing behind; a relocation rolls start-first (timed against
 * stop-first, printed, not asserted).
 */
class SwarmPlacementIT {
  private static final String DEVICE = "swarm-place-dev";
  private static DockerClient docker;
  private static NatsServer hub;
  private String gw;
  private SwarmTestNode node;
  private SwarmOrchestrator orchestrator;

  @BeforeAll
  static void engineAndHub() {
    docker = DockerEngine.requireSwarm();
    DockerEngine.require(SwarmIt.IMAGE);
    hub = NatsServer.start();
  }

  @AfterAll
  static void stopHub() {
    if (hub != null) {
      hub.close();
    }
  }

  @BeforeEach
  void node() {
    gw = SwarmIt.gatewayId("swarm-pl");
    node = SwarmTestNode.self(docker).unlabel(Labels.DEVICE);
  }

  @AfterEach
  void cleanUp() {
    try {
      if (orchestrator != null) {
        orchestrator.close();
      }
      SwarmIt.removeAll(docker, gw);
    } finally {
      node.close();
    }
  }

  private InstanceIntent intent(String service, long epoch) {
    return new InstanceIntent(service, "subscriber", "v1", epoch, DEVICE, Map.of());
  }

  private static void await(String what, java.util.concurrent.Callable<Boolean> condition) {
    Awaitility.await(what).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(condition);
  }

  @Test
  void aStartNoNodeCanTakeWaitsWithSwarmsReasonAndRunsOnceTheNodeIsLabelled() throws Exception {
    orchestrator = SwarmOrchestrator.start(docker, SwarmIt.settings(gw, hub).build(), SwarmIt.credentials(gw, hub));
    CompletableFuture<Void> started = orchestrator.start(intent("placed", 1), Orchestrator.StartMode.ACTIVE)
        .toCompletableFuture();
    String key = "placed@" + DEVICE + "#1";
    await("Swarm's reason is in the view", () -> orchestrator.view().waiting().getOrDefault(key, "")
        .contains("no suitable node"));
    assertTrue(orchestrator.view().waiting().get(key).contains("scheduling constraints not satisfied"),
        orchestrator.view().waiting().toString());
    assertTrue(!started.isDone(), "still waiting");

    long t0 = System.nanoTime();
    node.label(Labels.DEVICE, DEVICE);
    started.get(30, TimeUnit.SECONDS);
    System.out.printf("swarm placement: label added -> task running %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    await("reported running on the device", () -> orchestrator.view().instancesOn(DEVICE).stream()
        .anyMatch(r -> r.service().equals("placed") && r.state() == InstanceReport.InstanceState.RUNNING));
    assertTrue(orchestrator.view().devices().containsKey(DEVICE), "the node is now the device: " + orchestrator.view());
  }

  @Test
  void aStartThatStaysPendingBeyondTheBoundFailsWithSwarmsReasonAndLeavesNothing() throws Exception {
    ManualClock clock = new ManualClock();
    orchestrator = SwarmOrchestrator.start(docker, SwarmIt.settings(gw, hub).clock(clock)
        .placementTimeout(Duration.ofSeconds(10)).build(), SwarmIt.credentials(gw, hub));
    CompletableFuture<Void> started = orchestrator.start(intent("unplaceable", 3), Orchestrator.StartMode.ACTIVE)
        .toCompletableFuture();
    await("pending with Swarm's reason", () -> orchestrator.view().waiting().getOrDefault("unplaceable@" + DEVICE + "#3", "")
        .contains("no suitable node"));
    clock.advance(Duration.ofSeconds(11));
    ExecutionException e = assertThrows(ExecutionException.class, () -> started.get(30, TimeUnit.SECONDS));
    IntentFailedException failure = IntentFailedException.of(e);
    assertTrue(failure.refused(), failure.getMessage());
    assertTrue(failure.getMessage().contains("no suitable node (scheduling constraints not satisfied"),
        failure.getMessage());
    await("the Swarm service is removed", () -> SwarmIt.tasks(docker, gw, "unplaceable").isEmpty()
        && docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec().isEmpty());
  }

  @Test
  void relocateRollsStartFirstTimedAgainstStopFirst() throws Exception {
    node.label(Labels.DEVICE, DEVICE);
    StringBuilder numbers = new StringBuilder();
    for (UpdateOrder order : new UpdateOrder[] {UpdateOrder.START_FIRST, UpdateOrder.STOP_FIRST}) {
      orchestrator = SwarmOrchestrator.start(docker, SwarmIt.settings(gw, hub).updateOrder(order).build(),
          SwarmIt.credentials(gw, hub));
      String svc = "moved-" + order.name().toLowerCase().replace('_', '-');
      long t0 = System.nanoTime();
      orchestrator.start(intent(svc, 1), Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
      long created = (System.nanoTime() - t0) / 1_000_000;
      // one node: the move keeps the device and changes the epoch, which changes the spec as a move would
      long t1 = System.nanoTime();
      orchestrator.relocate(svc, 1, DEVICE, intent(svc, 2)).toCompletableFuture().get(60, TimeUnit.SECONDS);
      long moved = (System.nanoTime() - t1) / 1_000_000;
      await("epoch 2 alone is reported", () -> orchestrator.view().instancesOn(DEVICE).stream()
          .filter(r -> r.service().equals(svc)).map(InstanceReport::epoch).toList().equals(java.util.List.of(2L)));
      assertEquals(1, docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw, Labels.SERVICE, svc)).exec()
          .size(), "the same Swarm service, updated");
      numbers.append(String.format("%n  %s: create -> running %d ms, relocate (spec update -> new task running) %d ms",
          order, created, moved));
      orchestrator.close();
      orchestrator = null;
    }
    System.out.println("swarm relocate timings (poll 100 ms):" + numbers);
  }
}
