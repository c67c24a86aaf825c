package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.UpdateOrder;
import io.fogwise.containers.Images;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.orchestrator.InstanceCredentials;
import io.fogwise.gateway.swarm.SwarmOrchestrator;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testsupport.NatsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The {@code swarm} adapter's move on this engine's one-node Swarm: {@code relocate} (the same
 * Swarm service updated with a new epoch, rolled start-first) against the same update rolled
 * stop-first, Swarm's default. One node, so the "move" keeps the node and changes the epoch, which
 * changes the spec as a move between nodes would; no hand-over exists, so numbering is not
 * judged, only the gap (or overlap) between the old and the new epoch at an independent subscriber.
 * The hub runs without authentication here (see the {@code hub} field of the result).
 */
final class SwarmRelocations {
  /** The Fogwise device the Swarm node stands for during the measurement. */
  private static final String DEVICE = "ctr-swarm-1";
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final DockerClient docker;
  private final Timeline timeline;

  SwarmRelocations(DockerClient docker, Timeline timeline) {
    this.docker = docker;
    this.timeline = timeline;
  }

  ObjectNode run(ComponentLauncher launcher, ContainerBenchmark.Settings s, Path runDir) throws Exception {
    var swarm = docker.infoCmd().exec().getSwarm();
    if (swarm == null || swarm.getNodeID() == null || swarm.getNodeID().isBlank()) {
      throw new IllegalStateException("the Docker engine is not a Swarm manager (docker swarm init), or pass --no-swarm");
    }
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("what", "ONE-NODE Swarm: relocate = service update (new epoch, constraint, credentials) rolled START_FIRST, "
        + "against the same update rolled STOP_FIRST (Swarm's default); no hand-over. gapMs = first new-epoch message - "
        + "last old-epoch message at an independent subscriber (negative: both epochs published at once)");
    out.put("nodes", swarm.getNodes() == null ? 0 : swarm.getNodes());
    out.put("hub", "secure (TLS, JWT credentials in a Swarm secret)");
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, null, NatsServer.builder());
        io.fogwise.containers.SwarmNodes.Relabel label = new io.fogwise.containers.SwarmNodes.Relabel(docker, swarm.getNodeID())) {
      label.set(Labels.DEVICE, DEVICE);
      for (UpdateOrder order : new UpdateOrder[] {UpdateOrder.START_FIRST, UpdateOrder.STOP_FIRST}) {
        out.set(order == UpdateOrder.START_FIRST ? "startFirst" : "stopFirst", relocations(cluster, order, s));
      }
    }
    ObjectNode summary = out.putObject("summary");
    for (String order : List.of("startFirst", "stopFirst")) {
      out.path(order).path("summary").fields().forEachRemaining(e -> summary.set(order + "." + e.getKey(), e.getValue()));
    }
    return out;
  }

  private ObjectNode relocations(LocalCluster cluster, UpdateOrder order, ContainerBenchmark.Settings s) throws Exception {
    NatsServer hub = cluster.hub();
    String gw = "gw-ctr-swarm-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    String service = order == UpdateOrder.START_FIRST ? "reloc-start-first" : "reloc-stop-first";
    String channel = service;
    Map<String, String> config = Map.of("app", "bench", "channel", channel, "rateHz", Integer.toString(s.rateHz()));
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("updateOrder", order.name());
    ArrayNode runs = out.putArray("runs");
    Map<String, List<Long>> m = new LinkedHashMap<>();
    SwarmOrchestrator.Settings settings = SwarmOrchestrator.Settings.builder(gw, hub.url())
        .caFile(hub.isSecure() ? hub.identity().caFile() : null)
        .insecure(!hub.isSecure())
        .updateOrder(order)
        .images(Map.of("publisher", Images.builtIn("publisher")))
        .build();
    SwarmOrchestrator orchestrator = SwarmOrchestrator.start(docker, settings, credentials(hub, gw));
    long epoch = 1;
    try (Wire wire = new Wire(cluster.nats(), gw, Subjects.data("bench", channel));
        DockerEvents events = new DockerEvents(docker, gw)) {
      long t0 = System.nanoTime();
      orchestrator.start(new InstanceIntent(service, "publisher", "v1", epoch, DEVICE, config),
          Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      long first = wire.epoch(epoch, e -> true, WAIT).orElseThrow(() ->
          new IllegalStateException("the Swarm service " + service + " sent nothing within " + WAIT.toSeconds() + " s"))
          .firstNanos();
      out.put("createToFirstMessageMs", ContainerBenchmark.ms(t0, first));
      for (int i = 1; i <= s.runs(); i++) {
        long from = epoch;
        long base = wire.epoch(from).map(Wire.Epoch::count).orElse(0L);
        wire.epoch(from, e -> e.count() >= base + s.rateHz(), Duration.ofSeconds(10));
        long t1 = System.nanoTime();
        orchestrator.relocate(service, from, DEVICE, new InstanceIntent(service, "publisher", "v1", from + 1, DEVICE,
            config)).toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        long answered = System.nanoTime();
        epoch = from + 1;
        long to = epoch;
        long newFirst = wire.epoch(to, e -> true, WAIT).orElseThrow(() ->
            new IllegalStateException("no message of " + service + " epoch " + to + " within " + WAIT.toSeconds() + " s"))
            .firstNanos();
        var started = events.await("start", service, to, Duration.ofSeconds(10));
        var died = events.await("die", service, from, Duration.ofSeconds(30));
        // the old epoch's last messages are in once its container died and the new one has run a while
        wire.epoch(to, e -> e.count() >= 20, Duration.ofSeconds(5));
        long oldLast = wire.epoch(from).orElseThrow().lastNanos();
        ObjectNode r = runs.addObject();
        r.put("from", from);
        r.put("to", to);
        ContainerBenchmark.put(r, m, "relocateAnsweredMs", ContainerBenchmark.ms(t1, answered));
        started.ifPresent(t -> ContainerBenchmark.put(r, m, "newContainerStartedMs", ContainerBenchmark.ms(t1, t)));
        died.ifPresent(t -> ContainerBenchmark.put(r, m, "oldContainerDiedMs", ContainerBenchmark.ms(t1, t)));
        ContainerBenchmark.put(r, m, "firstNewMessageMs", ContainerBenchmark.ms(t1, newFirst));
        ContainerBenchmark.put(r, m, "gapMs", ContainerBenchmark.ms(oldLast, newFirst));
        timeline.log("swarm %s relocate %2d/%d: epoch %d -> %d, answered %5d ms, new container started %5s ms, "
            + "old died %5s ms, first new message %5d ms, gap %5d ms", order, i, s.runs(), from, to,
            ContainerBenchmark.ms(t1, answered), started.map(t -> Long.toString(ContainerBenchmark.ms(t1, t))).orElse("?"),
            died.map(t -> Long.toString(ContainerBenchmark.ms(t1, t))).orElse("?"), ContainerBenchmark.ms(t1, newFirst),
            ContainerBenchmark.ms(oldLast, newFirst));
      }
    } finally {
      try {
        orchestrator.stop(service, epoch, DEVICE).toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        timeline.log("swarm: stop of %s epoch %d: %s (removed by label below)", service, epoch, e.getMessage());
      }
      orchestrator.close();
      removeAll(gw);
    }
    out.set("summary", ContainerBenchmark.summary(m));
    return out;
  }

  private static InstanceCredentials credentials(NatsServer hub, String gatewayId) {
    if (!hub.isSecure()) {
      return InstanceCredentials.none();
    }
    hub.auth(Role.GATEWAY, gatewayId);
    return InstanceCredentials.signedBy(InstanceSigner.load(hub.identity().instanceKeyFile(gatewayId)), Duration.ZERO);
  }

  /** Every Swarm service and secret labelled with gateway {@code gw}, whatever the adapter left. */
  private void removeAll(String gw) {
    for (Service svc : docker.listServicesCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec()) {
      try {
        docker.removeServiceCmd(svc.getId()).exec();
      } catch (RuntimeException gone) {
        // removed meanwhile
      }
    }
    for (var secret : docker.listSecretsCmd().withLabelFilter(Map.of(Labels.GATEWAY, gw)).exec()) {
      try {
        docker.removeSecretCmd(secret.getId()).exec();
      } catch (RuntimeException inUse) {
        // still held by a service task being removed; the adapter's own cleanup takes it next time
      }
    }
  }

}
