package io.fogwise.gateway.orchestrator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.Container;
import io.fogwise.containers.DockerClients;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.edge.container.DockerRuntime;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.ContainerSpec;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.DockerEngine;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the docker runtime does beyond the orchestrator contract, on the real engine: fencing by
 * label (a restarted agent removes what its previous life left and stale epochs, never another
 * device's containers), a spec's limits on the container, a container that exits at once
 * restarted with its reason in the heartbeat, and an engine that is not there.
 */
class DockerRuntimeIT {
  private static final String GW = "drt-gw";
  private static final String DEVICE = "drt-dev";
  private static final String OTHER = "drt-other";
  private static NatsServer server;
  private static DockerClient docker;
  private Connection nats;
  private ProcessOrchestrator orchestrator;
  private volatile List<InstanceReport> reports = List.of();
  private final java.util.concurrent.atomic.AtomicLong heartbeats = new java.util.concurrent.atomic.AtomicLong();
  private DockerRuntime runtime;
  private EdgeAgent agent;

  @BeforeAll
  static void hub() {
    docker = DockerEngine.require(Images.builtIn("publisher"));
    server = NatsServer.start();
  }

  @AfterAll
  static void stopHub() {
    if (server != null) {
      server.close();
    }
  }

  @BeforeEach
  void gateway() throws Exception {
    nats = Nats.connect(NatsOptions.component(server.url(), "drt-gateway", server.auth(Role.GATEWAY, GW)).build());
    orchestrator = new ProcessOrchestrator(nats, Duration.ofSeconds(10), GW,
        InstanceCredentials.signedBy(InstanceSigner.load(server.identity().instanceKeyFile(GW)), Duration.ZERO));
    nats.createDispatcher().subscribe(Subjects.heartbeat(GW, DEVICE), m -> {
      heartbeats.incrementAndGet();
      try {
        reports = MessageCodec.decode(m.getData(), Heartbeat.class).instances();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @AfterEach
  void cleanUp() throws Exception {
    if (agent != null) {
      agent.close();
    }
    if (runtime != null) {
      runtime.close();
    }
    nats.close();
    DockerRuntime.removeDevice(docker, DEVICE);
    DockerRuntime.removeDevice(docker, OTHER);
  }

  private void startAgent() {
    runtime = DockerRuntime.start(docker, DEVICE, GW, Images.defaults());
    agent = EdgeAgent.start(AgentConfig.builder().natsUrl(server.url()).auth(server.deviceAuth(GW, DEVICE))
        .deviceId(DEVICE).gatewayId(GW).layer(Layer.EDGE).heartbeatInterval(Duration.ofMillis(100))
        .restartBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)).services(runtime.kinds()).build());
  }

  /** A container labelled as {@code device}'s instance of {@code service} epoch {@code epoch}, created, not started. */
  private String leftover(String device, String service, long epoch) {
    return docker.createContainerCmd(Images.builtIn("publisher"))
        .withName("fw-test-" + device + "-" + service + "-e" + epoch + "-" + System.nanoTime())
        .withLabels(Map.of(Labels.DEVICE, device, Labels.SERVICE, service, Labels.EPOCH, Long.toString(epoch),
            Labels.GATEWAY, GW))
        .exec().getId();
  }

  private boolean exists(String id) {
    return docker.listContainersCmd().withShowAll(true).withIdFilter(List.of(id)).exec().stream()
        .anyMatch(c -> c.getId().equals(id));
  }

  private Optional<InstanceReport> reported(String service, long epoch) {
    return reports.stream().filter(r -> r.service().equals(service) && r.epoch() == epoch).findFirst();
  }

  @Test
  void aRestartedAgentRemovesWhatItLeftAndStaleEpochsButNeverAnotherDevicesContainers() throws Exception {
    String mine = leftover(DEVICE, "pub", 2);
    String others = leftover(OTHER, "pub", 2);
    startAgent();
    assertTrue(!exists(mine), "the previous life's container is gone at start");
    assertTrue(exists(others), "another device's container is untouched");

    orchestrator.start(new InstanceIntent("pub", "publisher", "1", 5, DEVICE, Map.of("app", "drt")),
        Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Awaitility.await("pub epoch 5 running").atMost(Duration.ofSeconds(60))
        .until(() -> reported("pub", 5).filter(r -> r.state() == InstanceReport.InstanceState.RUNNING).isPresent());
    String stale = leftover(DEVICE, "pub", 4);
    Awaitility.await("the stale epoch's container is removed by the sweep").atMost(Duration.ofSeconds(20))
        .until(() -> !exists(stale));
    List<Container> running = docker.listContainersCmd().withLabelFilter(Map.of(Labels.DEVICE, DEVICE)).exec();
    assertEquals(1, running.size(), "only epoch 5 runs: " + running);
    assertEquals("5", running.get(0).getLabels().get(Labels.EPOCH));
    assertTrue(exists(others), "another device's container is still untouched");
  }

  @Test
  void aSpecsLimitsReachTheContainer() throws Exception {
    startAgent();
    ContainerSpec limits = new ContainerSpec(null, Map.of("TZ", "UTC"), new ContainerSpec.Resources(0.5, 192));
    orchestrator.start(new InstanceIntent("lim", "publisher", "1", 1, DEVICE, Map.of("app", "drt"), limits),
        Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Awaitility.await("lim running").atMost(Duration.ofSeconds(60))
        .until(() -> reported("lim", 1).filter(r -> r.state() == InstanceReport.InstanceState.RUNNING).isPresent());
    Container c = docker.listContainersCmd().withLabelFilter(Map.of(Labels.DEVICE, DEVICE, Labels.SERVICE, "lim"))
        .exec().get(0);
    InspectContainerResponse in = docker.inspectContainerCmd(c.getId()).exec();
    assertEquals(192L * 1024 * 1024, in.getHostConfig().getMemory());
    assertEquals(500_000_000L, in.getHostConfig().getNanoCPUs());
    assertTrue(List.of(in.getConfig().getEnv()).contains("TZ=UTC"), List.of(in.getConfig().getEnv()).toString());
  }

  @Test
  void aContainerThatExitsAtOnceIsRestartedAndTheHeartbeatSaysWhy() throws Exception {
    startAgent();
    // the publisher in the container refuses this configuration and exits with code 2
    orchestrator.start(new InstanceIntent("bad", "publisher", "1", 1, DEVICE, Map.of("app", "drt", "rateHz", "fast")),
        Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Awaitility.await("restarted with a reason").atMost(Duration.ofSeconds(60)).until(() -> reported("bad", 1)
        .filter(r -> r.restarts() >= 1 && r.reason() != null).isPresent());
    InstanceReport r = reported("bad", 1).orElseThrow();
    assertEquals(InstanceReport.InstanceState.RESTARTING, r.state(), r.toString());
    assertTrue(r.reason().contains("exited with code 2") && r.reason().contains("rateHz"), r.reason());
  }

  @Test
  void aStartTakesOverAWarmSpareAndAnotherIsMade() throws Exception {
    runtime = DockerRuntime.start(docker, DEVICE, GW, Images.defaults(),
        new DockerRuntime.Spares(1, java.util.Optional.of(server.identity().caFile())));
    agent = EdgeAgent.start(AgentConfig.builder().natsUrl(server.url()).auth(server.deviceAuth(GW, DEVICE))
        .deviceId(DEVICE).gatewayId(GW).layer(Layer.EDGE).heartbeatInterval(Duration.ofMillis(100))
        .services(runtime.kinds()).build());
    String image = Images.builtIn("publisher");
    Awaitility.await("a warm spare of the publisher image").atMost(Duration.ofSeconds(90))
        .until(() -> runtime.sparesReady(image) == 1);
    List<Container> spares = docker.listContainersCmd()
        .withLabelFilter(Map.of(Labels.DEVICE, DEVICE, Labels.SPARE, "true", Labels.KIND, "publisher")).exec();
    assertEquals(1, spares.size(), spares.toString());
    String spareId = spares.get(0).getId();

    orchestrator.start(new InstanceIntent("sp", "publisher", "1", 1, DEVICE, Map.of("app", "drt")),
        Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
    Awaitility.await("sp running").atMost(Duration.ofSeconds(60))
        .until(() -> reported("sp", 1).filter(r -> r.state() == InstanceReport.InstanceState.RUNNING).isPresent());
    InspectContainerResponse became = docker.inspectContainerCmd(spareId).exec();
    assertTrue(became.getName().contains("-sp-e1-"), "the spare became the instance: " + became.getName());
    Awaitility.await("another spare is made").atMost(Duration.ofSeconds(90))
        .until(() -> runtime.sparesReady(image) == 1);
    // and the instance really publishes: an independent subscriber hears it
    java.util.concurrent.CountDownLatch heard = new java.util.concurrent.CountDownLatch(1);
    try (Connection observer = Nats.connect(NatsOptions.component(server.url(), "drt-observer", server.operatorAuth()).build())) {
      observer.createDispatcher(m -> heard.countDown()).subscribe(Subjects.data("drt", "readings"));
      assertTrue(heard.await(20, TimeUnit.SECONDS), "no message from the instance that was a spare");
    }
  }

  @Test
  void anEngineThatGoesAwayIsAReasonInTheHeartbeatsAndTheInstanceComesBackWithIt() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("fw-engine-proxy");
    try (EngineProxy proxy = new EngineProxy(dir.resolve("docker.sock"), java.nio.file.Path.of("/var/run/docker.sock"))) {
      DockerClient viaProxy = DockerClients.connect(proxy.url(), Duration.ofSeconds(5));
      runtime = DockerRuntime.start(viaProxy, DEVICE, GW, Images.defaults());
      agent = EdgeAgent.start(AgentConfig.builder().natsUrl(server.url()).auth(server.deviceAuth(GW, DEVICE))
          .deviceId(DEVICE).gatewayId(GW).layer(Layer.EDGE).heartbeatInterval(Duration.ofMillis(100))
          .restartBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)).services(runtime.kinds()).build());
      orchestrator.start(new InstanceIntent("gone", "publisher", "1", 1, DEVICE, Map.of("app", "drt")),
          Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
      Awaitility.await("gone running").atMost(Duration.ofSeconds(60)).until(() -> reported("gone", 1)
          .filter(r -> r.state() == InstanceReport.InstanceState.RUNNING).isPresent());

      proxy.cut();
      // the container dies while its agent cannot see the engine
      for (Container c : docker.listContainersCmd().withLabelFilter(Map.of(Labels.DEVICE, DEVICE)).exec()) {
        docker.killContainerCmd(c.getId()).exec();
      }
      Awaitility.await("the heartbeat says the engine is gone").atMost(Duration.ofSeconds(60)).until(() -> reported("gone", 1)
          .filter(r -> r.state() == InstanceReport.InstanceState.RESTARTING && r.reason() != null
              && r.reason().contains("Docker engine does not answer")).isPresent());
      int restartsWhileGone = reported("gone", 1).orElseThrow().restarts();
      long beatsBefore = heartbeats.get();
      Awaitility.await("heartbeats go on").atMost(Duration.ofSeconds(10)).until(() -> heartbeats.get() >= beatsBefore + 5);

      proxy.restore();
      Awaitility.await("running again once the engine is back").atMost(Duration.ofSeconds(90)).until(() -> reported("gone", 1)
          .filter(r -> r.state() == InstanceReport.InstanceState.RUNNING).isPresent());
      assertTrue(reported("gone", 1).orElseThrow().restarts() >= restartsWhileGone);
    }
  }

  @Test
  void theProbeFeedsTheOutputsAStallShowsIn() throws Exception {
    startAgent();
    // the publisher in the container stops producing after 30 messages but keeps running
    orchestrator.start(new InstanceIntent("stall", "publisher", "1", 1, DEVICE,
        Map.of("app", "drt", "rateHz", "50", "stallAfter", "30")), Orchestrator.StartMode.ACTIVE)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    Awaitility.await("the probe reports the outputs up to the stall").atMost(Duration.ofSeconds(60))
        .until(() -> reported("stall", 1).map(r -> r.outputs() != null && r.outputs() == 30).orElse(false));
    long beats = heartbeats.get();
    Awaitility.await("more heartbeats").atMost(Duration.ofSeconds(10)).until(() -> heartbeats.get() >= beats + 10);
    InstanceReport r = reported("stall", 1).orElseThrow();
    assertEquals(InstanceReport.InstanceState.RUNNING, r.state(), "running, not producing: " + r);
    assertEquals(30L, r.outputs(), "the count stopped growing, which the gateway takes as a stall: " + r);
  }

  @Test
  void anEngineThatIsNotThereIsAClearErrorAtStart() {
    DockerClient nowhere = DockerClients.connect("unix:///nonexistent/docker.sock", Duration.ofSeconds(2));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> DockerRuntime.start(nowhere, DEVICE, GW, Images.defaults()));
    assertTrue(e.getMessage().contains("Docker engine does not answer") && e.getMessage().contains("DOCKER_HOST"),
        e.getMessage());
  }
}
