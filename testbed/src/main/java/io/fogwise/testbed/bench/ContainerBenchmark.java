package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Volume;
import io.fogwise.containers.DockerClients;
import io.fogwise.containers.Images;
import io.fogwise.containers.InstanceEnv;
import io.fogwise.containers.Labels;
import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.orchestrator.InstanceCredentials;
import io.fogwise.gateway.orchestrator.ProcessOrchestrator;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.FailoverProbe;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.MoveProbe;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testsupport.NatsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code fogwise bench containers}: what running services as containers costs, measured from
 * outside (the benchmark's own NATS subscriptions, the engine's event stream, both stamped with
 * this JVM's clock on arrival):
 * <ol>
 *   <li><b>start</b>: a docker-runtime agent gets a START from the {@code process} orchestrator
 *       on NATS; command → START answered, → container {@code start} event, → first heartbeat
 *       reporting the instance RUNNING, → first application message; and a plain {@code docker
 *       create} + {@code start} of the same image, configured the same, for reference;</li>
 *   <li><b>moves</b>: planned moves CLOUD ⇄ EDGE through a gateway with the {@code process} and
 *       the {@code docker} runtime (hand-over; gap, lost, duplicated at the observer), and on the
 *       one-node Swarm a {@code relocate} (start-first) against Swarm's stop-first default;</li>
 *   <li><b>failover</b>: SIGKILL of the agent hosting the publisher container plus {@code docker
 *       kill} of its containers → DEVICE_LOST → START of the new epoch → its container started →
 *       its first message.</li>
 * </ol>
 */
public final class ContainerBenchmark {
  /** The gateway of the start and failover clusters. */
  private static final String GW = "gw-ctr-bench";
  /** The data application every measured publisher uses (its instance credentials allow it). */
  private static final String APP = "bench";
  /** How long a container may take to start on a loaded 2-core machine before a run fails. */
  private static final Duration CONTAINER_WAIT = Duration.ofSeconds(60);
  private static final Map<String, String> PUB = Map.of("pub", "true");

  private final ComponentLauncher launcher;
  private final Timeline timeline;

  /**
   * What to run.
   *
   * @param runs measurements per part (starts, moves per adapter, failovers)
   * @param rateHz publisher rate
   * @param parts which parts to run, of {@link #PARTS}
   */
  public record Settings(int runs, int rateHz, java.util.Set<String> parts) {
    /** Every part: start, the moves per adapter, the failover. */
    public static final List<String> PARTS = List.of("start", "process", "docker", "swarm", "failover", "failover-spares");

    public Settings {
      parts = java.util.Set.copyOf(parts);
      for (String p : parts) {
        if (!PARTS.contains(p)) {
          throw new IllegalArgumentException("unknown part '" + p + "'; parts are " + PARTS);
        }
      }
      if (runs < 1) {
        throw new IllegalArgumentException("runs must be >= 1, got " + runs);
      }
      if (rateHz < 1 || rateHz > 1000) {
        throw new IllegalArgumentException("rate must be within [1, 1000] Hz, got " + rateHz);
      }
    }
  }

  public ContainerBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = Objects.requireNonNull(launcher, "launcher");
    this.timeline = Objects.requireNonNull(timeline, "timeline");
  }

  /**
   * Runs every part and returns the results document: {@code start}, {@code moves.process},
   * {@code moves.docker}, {@code moves.swarm}, {@code failover}, each with {@code runs} and a
   * {@code summary} of median / p95 / max.
   *
   * @throws IllegalStateException when the engine does not answer or an image is missing, saying what to do
   */
  public ObjectNode run(Settings settings, Path runDir) throws Exception {
    DockerClient docker = DockerClients.connect();
    DockerClients.problem(docker).ifPresent(p -> {
      throw new IllegalStateException(p);
    });
    for (String image : Images.defaults().values()) {
      try {
        docker.inspectImageCmd(image).exec();
      } catch (NotFoundException e) {
        throw new IllegalStateException("image " + image + " is not built; run images/build.sh first"
            + ("latest".equals(Images.TAG) ? "" : " with FOGWISE_IMAGE_TAG=" + Images.TAG));
      }
    }
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    ObjectNode machine = out.putObject("machine");
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    var info = docker.infoCmd().exec();
    machine.put("storageDriver", info.getDriver());
    machine.put("dockerVersion", info.getServerVersion());
    machine.put("swarmNodes", info.getSwarm() == null || info.getSwarm().getNodes() == null ? 0 : info.getSwarm().getNodes());
    machine.put("imageTag", Images.TAG);
    machine.put("runs", settings.runs());
    machine.put("rateHz", settings.rateHz());

    java.util.Set<String> parts = settings.parts();
    if (parts.contains("start")) {
      out.set("start", starts(docker, settings, runDir.resolve("start")));
    }
    ObjectNode moves = out.putObject("moves");
    if (parts.contains("process")) {
      moves.set("process", moves(null, settings, runDir.resolve("move-process")));
    }
    if (parts.contains("docker")) {
      moves.set("docker", moves(docker, settings, runDir.resolve("move-docker")));
    }
    if (parts.contains("swarm")) {
      moves.set("swarm", new SwarmRelocations(docker, timeline).run(launcher, settings, runDir.resolve("move-swarm")));
    }
    if (parts.contains("failover-spares")) {
      out.set("failoverWarmSpares", failovers(docker, settings, runDir.resolve("failover-spares"), 1));
    }
    if (parts.contains("failover")) {
      out.set("failover", failovers(docker, settings, runDir.resolve("failover"), 0));
    }
    return out;
  }

  // ---- 1. container start -> running ----

  private ObjectNode starts(DockerClient docker, Settings s, Path runDir) throws Exception {
    String device = "ctr-start-1";
    String service = "start-pub";
    String data = Subjects.data(APP, "start");
    String refData = Subjects.data(APP, "start-ref");
    Map<String, String> config = Map.of("app", APP, "channel", "start", "rateHz", Integer.toString(s.rateHz()));
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("what", "START from the process orchestrator on NATS to a docker-runtime agent (no gateway): command sent "
        + "-> START answered / container 'start' event / first heartbeat reporting it RUNNING / first message at an "
        + "independent subscriber; reference: docker create + start of the same image, same configuration, no agent");
    ArrayNode runs = out.putArray("runs");
    ArrayNode refs = out.putArray("reference");
    Map<String, List<Long>> m = new LinkedHashMap<>();
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, null);
        Wire wire = new Wire(cluster.nats(), GW, data);
        Wire refWire = new Wire(cluster.nats(), GW, refData);
        DockerEvents events = new DockerEvents(docker, GW)) {
      cluster.useContainers(docker);
      NatsServer hub = cluster.hub();
      InstanceCredentials creds = credentials(hub, GW);
      cluster.startAgent(device, GW, Layer.EDGE, Map.of(), List.of());
      require(awaitHeartbeat(cluster, device), device + " sent no heartbeat within 60 s; see " + runDir);
      try (ProcessOrchestrator orchestrator = new ProcessOrchestrator(cluster.nats(), Duration.ofSeconds(30), GW, creds)) {
        for (int i = 1; i <= s.runs(); i++) {
          long epoch = i;
          long t0 = System.nanoTime();
          orchestrator.start(new InstanceIntent(service, "publisher", "v1", epoch, device, config),
              Orchestrator.StartMode.ACTIVE).toCompletableFuture().get(30, TimeUnit.SECONDS);
          long acked = System.nanoTime();
          long first = wire.epoch(epoch, e -> true, CONTAINER_WAIT).orElseThrow(() ->
              new IllegalStateException("no message of " + service + " epoch " + epoch + " within "
                  + CONTAINER_WAIT.toSeconds() + " s; see " + runDir)).firstNanos();
          long running = wire.runningSeen(device, service, epoch, CONTAINER_WAIT).orElseThrow(() ->
              new IllegalStateException(device + " never reported " + service + " epoch " + epoch + " RUNNING"));
          Optional<Long> started = events.await("start", service, epoch, Duration.ofSeconds(5));
          ObjectNode r = runs.addObject();
          r.put("epoch", epoch);
          put(r, m, "commandAnsweredMs", ms(t0, acked));
          started.ifPresent(t -> put(r, m, "containerStartedMs", ms(t0, t)));
          put(r, m, "heartbeatRunningMs", ms(t0, running));
          put(r, m, "firstMessageMs", ms(t0, first));
          timeline.log("start %2d/%d: answered %4d ms, container started %5s ms, heartbeat RUNNING %5d ms, first message %5d ms",
              i, s.runs(), ms(t0, acked), started.map(t -> Long.toString(ms(t0, t))).orElse("?"), ms(t0, running),
              ms(t0, first));
          orchestrator.stop(service, epoch, device).toCompletableFuture().get(30, TimeUnit.SECONDS);
          require(awaitGone(docker, device, epoch), "the container of epoch " + epoch + " was not removed within 30 s");

          ObjectNode ref = refs.addObject();
          reference(docker, hub, creds, epoch, ref, refWire, events, m, runDir);
        }
      } finally {
        io.fogwise.edge.container.DockerRuntime.removeDevice(docker, REF_DEVICE);
      }
    }
    out.set("summary", summary(m));
    return out;
  }

  private static final String REF_DEVICE = "ctr-start-ref";

  /**
   * {@code docker create} + {@code start} of the publisher image with the environment the agent
   * gives it (no control endpoint), timed to the engine's {@code start} event and the first message.
   */
  private void reference(DockerClient docker, NatsServer hub, InstanceCredentials creds, long epoch, ObjectNode r,
      Wire wire, DockerEvents events, Map<String, List<Long>> m, Path runDir) throws Exception {
    String service = "start-ref";
    List<String> env = new ArrayList<>(List.of(
        InstanceEnv.NATS_URL + "=" + hub.url(), InstanceEnv.GATEWAY + "=" + GW, InstanceEnv.DEVICE + "=" + REF_DEVICE,
        InstanceEnv.SERVICE + "=" + service, InstanceEnv.KIND + "=publisher", InstanceEnv.EPOCH + "=" + epoch,
        InstanceEnv.CONFIG + "=" + MessageCodec.mapper().writeValueAsString(Map.of("app", APP, "channel", "start-ref",
            "rateHz", "100")),
        InstanceEnv.STANDBY + "=false"));
    HostConfig host = HostConfig.newHostConfig().withNetworkMode("host");
    if (hub.isSecure()) {
      env.add(InstanceEnv.CREDS + "=" + creds.fresh(service, APP, epoch));
      String ca = hub.identity().caFile().toAbsolutePath().toString();
      env.add(InstanceEnv.CA + "=" + ca);
      host.withBinds(new Bind(ca, new Volume(ca), AccessMode.ro));
    } else {
      env.add(InstanceEnv.INSECURE + "=true");
    }
    Map<String, String> labels = Map.of(Labels.GATEWAY, GW, Labels.DEVICE, REF_DEVICE, Labels.SERVICE, service,
        Labels.EPOCH, Long.toString(epoch), Labels.KIND, "publisher");
    long t0 = System.nanoTime();
    String id = docker.createContainerCmd(Images.builtIn("publisher")).withName("fw-bench-ref-e" + epoch)
        .withLabels(labels).withEnv(env).withHostConfig(host).exec().getId();
    long created = System.nanoTime();
    try {
      docker.startContainerCmd(id).exec();
      long startReturned = System.nanoTime();
      long first = wire.epoch(epoch, e -> true, CONTAINER_WAIT).orElseThrow(() ->
          new IllegalStateException("the reference container sent nothing within " + CONTAINER_WAIT.toSeconds()
              + " s (docker logs fw-bench-ref-e" + epoch + ")")).firstNanos();
      Optional<Long> started = events.await("start", service, epoch, Duration.ofSeconds(5));
      r.put("epoch", epoch);
      put(r, m, "refCreateMs", ms(t0, created));
      put(r, m, "refCreateStartMs", ms(t0, startReturned));
      started.ifPresent(t -> put(r, m, "refContainerStartedMs", ms(t0, t)));
      put(r, m, "refFirstMessageMs", ms(t0, first));
      timeline.log("  reference: create %3d ms, create+start %4d ms, first message %5d ms", ms(t0, created),
          ms(t0, startReturned), ms(t0, first));
    } finally {
      docker.removeContainerCmd(id).withForce(true).exec();
    }
  }

  private static InstanceCredentials credentials(NatsServer hub, String gatewayId) {
    if (!hub.isSecure()) {
      return InstanceCredentials.none();
    }
    hub.auth(Role.GATEWAY, gatewayId); // issues the gateway, and with it its scoped instance key
    return InstanceCredentials.signedBy(InstanceSigner.load(hub.identity().instanceKeyFile(gatewayId)), Duration.ZERO);
  }

  private static boolean awaitHeartbeat(LocalCluster cluster, String device) throws InterruptedException {
    var sub = cluster.nats().subscribe(Subjects.heartbeat(GW, device));
    try {
      return sub.nextMessage(Duration.ofSeconds(60)) != null;
    } finally {
      sub.unsubscribe();
    }
  }

  private static boolean awaitGone(DockerClient docker, String device, long epoch) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      if (docker.listContainersCmd().withShowAll(true)
          .withLabelFilter(Map.of(Labels.DEVICE, device, Labels.EPOCH, Long.toString(epoch))).exec().isEmpty()) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(50); // polling the engine, not waiting for a deadline
    }
    return false;
  }

  // ---- 2. planned moves with hand-over (process, docker) ----

  /** Moves CLOUD ⇄ EDGE through a gateway; {@code docker} null: the process runtime. */
  private ObjectNode moves(DockerClient docker, Settings s, Path runDir) throws Exception {
    String adapter = docker == null ? "process" : "docker";
    String data = Subjects.data(APP, "move-" + adapter);
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("what", docker == null
        ? "publisher in the agents' JVMs; gateway move: standby start, hand-over, activate, stop"
        : "publisher as containers; the same move, hand-over and activate through the container's control endpoint");
    ArrayNode runs = out.putArray("runs");
    Map<String, List<Long>> m = new LinkedHashMap<>();
    long lost = 0;
    long duplicated = 0;
    String gw = GW + "-" + adapter;
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, data)) {
      if (docker != null) {
        cluster.useContainers(docker);
      }
      Observer obs = cluster.observer();
      List<String> args = new ArrayList<>(List.of("--ephemeral"));
      if (docker != null) {
        args.addAll(List.of("--instance-start-timeout", "30s")); // a container boots a JVM of its own
      }
      cluster.startGateway(gw, args);
      require(obs.awaitStatus(gw, st -> true, Duration.ofSeconds(60)).isPresent(), "gateway did not come up; see " + runDir);
      cluster.startAgent(adapter + "-cloud-1", gw, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent(adapter + "-edge-1", gw, Layer.EDGE, Map.of(), List.of());
      require(obs.awaitStatus(gw, st -> st.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent(),
          "agents did not join; see " + runDir);
      cluster.apply(gw, ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD),
          Map.of("app", APP, "channel", "move-" + adapter, "rateHz", Integer.toString(s.rateHz()))));
      require(obs.awaitData(o -> o.received() > s.rateHz(), CONTAINER_WAIT), "no publisher traffic; see " + runDir);
      for (int i = 1; i <= s.runs(); i++) {
        long base = obs.received();
        obs.awaitData(o -> o.received() >= base + s.rateHz(), Duration.ofSeconds(10));
        Layer to = i % 2 == 1 ? Layer.EDGE : Layer.CLOUD;
        MoveProbe.Measurement mv = MoveProbe.moveToLayer(cluster, gw, "publisher", to, CONTAINER_WAIT);
        lost += mv.lost();
        duplicated += mv.duplicated();
        ObjectNode r = MessageCodec.mapper().valueToTree(mv);
        runs.add(r);
        m.computeIfAbsent("gapMs", k -> new ArrayList<>()).add(mv.gapMs());
        m.computeIfAbsent("totalMs", k -> new ArrayList<>()).add(mv.totalMs());
        timeline.log("%s move %2d/%d: %s -> %s, gap %3d ms, lost %d, duplicated %d (request -> first new message %d ms)",
            adapter, i, s.runs(), mv.from(), mv.to(), mv.gapMs(), mv.lost(), mv.duplicated(), mv.totalMs());
      }
      ObjectNode summary = summary(m);
      summary.put("lost", lost);
      summary.put("duplicated", duplicated);
      summary.put("messagesDuplicated", obs.duplicates());
      summary.put("messagesStaleEpoch", obs.staleEpoch());
      out.set("summary", summary);
    }
    return out;
  }

  // ---- 3. device loss with the docker runtime ----

  private ObjectNode failovers(DockerClient docker, Settings s, Path runDir, int warmSpares) throws Exception {
    String data = Subjects.data(APP, "failover");
    String gw = GW + (warmSpares > 0 ? "-fs" : "-fo");
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("warmSpares", warmSpares);
    out.put("what", "SIGKILL of the agent hosting the publisher container + docker kill of its containers; kill -> "
        + "DEVICE_LOST (detect) -> START of the new epoch seen on the wire -> its container's 'start' event -> first "
        + "heartbeat reporting it RUNNING -> its first message (recover)");
    ArrayNode runs = out.putArray("runs");
    Map<String, List<Long>> m = new LinkedHashMap<>();
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, data);
        Wire wire = new Wire(cluster.nats(), gw, data);
        DockerEvents events = new DockerEvents(docker, gw)) {
      cluster.useContainers(docker, warmSpares);
      Observer obs = cluster.observer();
      cluster.startGateway(gw, List.of("--instance-start-timeout", "30s"));
      require(obs.awaitStatus(gw, st -> true, Duration.ofSeconds(60)).isPresent(), "gateway did not come up; see " + runDir);
      int next = 1;
      cluster.startAgent("fo-cloud-1", gw, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("fo-edge-" + next++, gw, Layer.EDGE, PUB, List.of());
      cluster.startAgent("fo-edge-" + next++, gw, Layer.EDGE, PUB, List.of());
      require(obs.awaitStatus(gw, st -> st.devicesIn("ALIVE") == 3, Duration.ofSeconds(60)).isPresent(),
          "agents did not join; see " + runDir);
      cluster.apply(gw, ServiceSpec.of("publisher", "publisher", new ServiceSpec.Placement(Layer.EDGE, PUB),
          Map.of("app", APP, "channel", "failover", "rateHz", Integer.toString(s.rateHz()))));
      require(obs.awaitData(o -> o.received() > 0, CONTAINER_WAIT), "no publisher traffic; see " + runDir);
      for (int i = 1; i <= s.runs(); i++) {
        // the surviving devices build a heartbeat history (as in bench failover), traffic settles
        long base = obs.received();
        obs.awaitData(o -> o.received() >= base + s.rateHz() * 2L, Duration.ofSeconds(10));
        long beforeKill = System.nanoTime();
        FailoverProbe.Measurement f = FailoverProbe.killPublisherHost(cluster, CONTAINER_WAIT);
        // the probe stamps the kill itself and reports detect from it: the kill's stamp is the
        // DEVICE_LOST arrival minus detect (to the millisecond), so the breakdown shares its origin
        long kill = obs.events().stream()
            .filter(e -> e.message().type() == AdaptationEvent.Type.DEVICE_LOST && f.device().equals(e.message().deviceId()))
            .reduce((a, b) -> b).map(e -> e.nanos() - f.detectMs() * 1_000_000L).orElse(beforeKill);
        ObjectNode r = MessageCodec.mapper().valueToTree(f);
        runs.add(r);
        put(r, m, "detectMs", f.detectMs());
        wire.startSeen(f.newDevice(), "publisher", f.newEpoch(), Duration.ofSeconds(1))
            .ifPresent(t -> put(r, m, "startCommandMs", ms(kill, t)));
        events.await("start", "publisher", f.newEpoch(), Duration.ofSeconds(5))
            .ifPresent(t -> put(r, m, "containerStartedMs", ms(kill, t)));
        wire.runningSeen(f.newDevice(), "publisher", f.newEpoch(), Duration.ofSeconds(5))
            .ifPresent(t -> put(r, m, "heartbeatRunningMs", ms(kill, t)));
        put(r, m, "recoverMs", f.recoverMs());
        put(r, m, "outageMs", f.outageMs());
        timeline.log("failover %2d/%d: killed %s, detect %4d, START %5s, container started %5s, first message %5d ms (epoch %d on %s)",
            i, s.runs(), f.device(), f.detectMs(), r.path("startCommandMs").asText("?"),
            r.path("containerStartedMs").asText("?"), f.recoverMs(), f.newEpoch(), f.newDevice());
        String replacement = "fo-edge-" + next++;
        int evs = obs.eventCount();
        cluster.startAgent(replacement, gw, Layer.EDGE, PUB, List.of());
        require(obs.awaitEvent(evs, e -> e.type() == AdaptationEvent.Type.DEVICE_JOINED
            && replacement.equals(e.deviceId()), Duration.ofSeconds(60)).isPresent(), replacement + " did not join");
      }
      ObjectNode summary = summary(m);
      summary.put("messagesDuplicated", obs.duplicates());
      summary.put("messagesStaleEpoch", obs.staleEpoch());
      summary.put("recoverTargetMs", 2000);
      summary.put("recoverTargetMet", Stats.max(m.getOrDefault("recoverMs", List.of())) <= 2000);
      out.set("summary", summary);
    }
    return out;
  }

  // ---- results ----

  static void put(ObjectNode run, Map<String, List<Long>> all, String name, long value) {
    run.put(name, value);
    all.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  static long ms(long fromNanos, long toNanos) {
    return (toNanos - fromNanos) / 1_000_000L;
  }

  /** {@code {name: {median, p95, max, n}}} for each measured quantity. */
  static ObjectNode summary(Map<String, List<Long>> m) {
    ObjectNode s = MessageCodec.mapper().createObjectNode();
    m.forEach((name, values) -> {
      ObjectNode q = s.putObject(name);
      q.put("median", Stats.median(values));
      q.put("p95", Stats.percentile(values, 95));
      q.put("max", Stats.max(values));
      q.put("n", values.size());
    });
    return s;
  }

  /** The printed table: one row per measured quantity, median / p95 / max in ms. */
  public static String table(ObjectNode result) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("%-52s %8s %8s %8s %4s%n", "", "median", "p95", "max", "n"));
    rows(b, "start", result.path("start").path("summary"));
    JsonNode moves = result.path("moves");
    moves.fieldNames().forEachRemaining(a -> rows(b, "move " + a, moves.path(a).path("summary")));
    rows(b, "failover (docker)", result.path("failover").path("summary"));
    rows(b, "failover (docker, 1 warm spare per image)", result.path("failoverWarmSpares").path("summary"));
    return b.toString();
  }

  private static void rows(StringBuilder b, String part, JsonNode summary) {
    summary.fields().forEachRemaining(e -> {
      if (e.getValue().isObject() && e.getValue().has("median")) {
        b.append(String.format("%-52s %8d %8d %8d %4d%n", part + ": " + e.getKey(), e.getValue().get("median").asLong(),
            e.getValue().get("p95").asLong(), e.getValue().get("max").asLong(), e.getValue().get("n").asLong()));
      }
    });
    List<String> counts = new ArrayList<>();
    summary.fields().forEachRemaining(e -> {
      if (e.getValue().isValueNode()) {
        counts.add(e.getKey() + " " + e.getValue().asText());
      }
    });
    if (!counts.isEmpty()) {
      b.append(String.format("%-52s %s%n", part + ":", String.join(", ", counts)));
    }
  }

  static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
