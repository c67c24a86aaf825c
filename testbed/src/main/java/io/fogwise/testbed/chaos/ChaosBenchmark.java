package io.fogwise.testbed.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.link.LinkEmulator;
import io.nats.client.Dispatcher;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * {@code fogwise bench chaos}: the paper's application (a publisher and two subscribers) on a
 * hub, a gateway and four agents, each its own process, every agent behind its own link emulator
 * in front of the hub. Faults drawn from a seed ({@link ChaosSchedule}) kill agents (restarted
 * under their own ids), the gateway (restarted with its durable state), the hub (restarted on the
 * same port and store) and cut agents' links, while an {@link InvariantMonitor} fed by an
 * independent subscriber checks issue 11's invariants every {@link #CHECK_EVERY}. The run stops at
 * the first breach (unless told to keep going) and says which and when.
 */
public final class ChaosBenchmark {
  /** How often the invariants are checked: small against the 2 s budget. */
  public static final Duration CHECK_EVERY = Duration.ofMillis(50);

  /** How often the gateway's placements are read over its HTTP API. */
  public static final Duration PLACEMENTS_EVERY = Duration.ofMillis(250);

  /** How long the app may take to be running in the first place (eight JVMs starting on two cores). */
  public static final Duration SETUP_TIMEOUT = Duration.ofSeconds(120);

  private static final String GW = "gw-chaos";

  /** Gateway events printed on the timeline (a few per fault). */
  private static final Set<AdaptationEvent.Type> LOGGED_EVENTS = java.util.EnumSet.of(AdaptationEvent.Type.DEVICE_LOST,
      AdaptationEvent.Type.DEVICE_RETURNED, AdaptationEvent.Type.DEVICE_EXCLUDED, AdaptationEvent.Type.INSTANCE_STARTING,
      AdaptationEvent.Type.INSTANCE_STARTED, AdaptationEvent.Type.INSTANCE_STOPPED, AdaptationEvent.Type.INSTANCE_FENCED,
      AdaptationEvent.Type.INSTANCE_ABANDONED, AdaptationEvent.Type.INSTANCE_START_FAILED, AdaptationEvent.Type.ALERT);

  /** An agent of the run. */
  public record Agent(String id, Layer layer, Map<String, String> labels) {
    public Agent {
      Objects.requireNonNull(id, "id");
      labels = Map.copyOf(labels);
    }
  }

  /**
   * The topology of issue 11's reproduction: one CLOUD device, two EDGE devices labelled
   * {@code pub=true} (the publisher has somewhere to fail over to) and one {@code sub=true}.
   */
  public static final List<Agent> PAPER_TOPOLOGY = List.of(
      new Agent("cloud-1", Layer.CLOUD, Map.of()),
      new Agent("edge-1", Layer.EDGE, Map.of("pub", "true")),
      new Agent("edge-2", Layer.EDGE, Map.of("sub", "true")),
      new Agent("edge-3", Layer.EDGE, Map.of("pub", "true")));

  /**
   * One run.
   *
   * @param run the chaos phase (after the app is up)
   * @param seed draws the faults
   * @param keepGoing record every breach and finish the run instead of stopping at the first
   */
  public record Settings(Duration run, long seed, boolean keepGoing) {
    public Settings {
      Objects.requireNonNull(run, "run");
    }
  }

  private final ComponentLauncher launcher;
  private final Timeline timeline;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

  public ChaosBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = launcher;
    this.timeline = timeline;
  }

  /**
   * Runs the app given by {@code specs} (exactly one of kind {@code publisher}: the primary whose
   * epochs must not overlap) through the faults of {@code settings}; returns the results document,
   * whose {@code passed} says whether no invariant was breached.
   */
  public ObjectNode run(List<ServiceSpec> specs, Settings settings, Path runDir) throws Exception {
    List<ServiceSpec> publishers = specs.stream().filter(s -> "publisher".equals(s.kind())
        && DurableChannel.fromConfig(s.config()).isEmpty()).toList();
    if (publishers.size() != 1) {
      throw new IllegalArgumentException("the chaos run needs exactly one core publisher spec, got " + publishers.size());
    }
    ServiceSpec primary = publishers.get(0);
    List<ServiceSpec> durablePublishers = specs.stream().filter(s -> "publisher".equals(s.kind())
        && DurableChannel.fromConfig(s.config()).isPresent()).toList();
    String dataSubject = Subjects.data(primary.config().get("app"), primary.config().get("channel"));
    List<Agent> agents = PAPER_TOPOLOGY;
    List<ChaosSchedule.Fault> faults = ChaosSchedule.plan(settings.run(), settings.seed(),
        agents.stream().map(Agent::id).toList());

    ObjectNode out = MessageCodec.mapper().createObjectNode();
    out.put("seed", settings.seed());
    out.put("plannedSeconds", settings.run().toSeconds());
    out.put("logs", runDir.toAbsolutePath().toString());
    Map<String, LinkEmulator> links = new LinkedHashMap<>();
    ScheduledExecutorService background = Executors.newScheduledThreadPool(2, r -> {
      Thread t = new Thread(r, "chaos-monitor");
      t.setDaemon(true);
      return t;
    });
    try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, dataSubject)) {
      Observer obs = cluster.observer();
      // the gateway's decisions beside the faults, so a breach can be read from the timeline alone
      obs.onEvent(e -> {
        if (LOGGED_EVENTS.contains(e.type())) {
          timeline.log("  %s: %s%s%s %s", GW, e.type(), e.deviceId() == null ? "" : " " + e.deviceId(),
              e.service() == null ? "" : " " + e.service() + (e.epoch() > 0 ? " epoch " + e.epoch() : ""),
              e.reason() == null ? "" : "(" + e.reason() + ")");
        }
      });
      long gatewayLaunched = System.currentTimeMillis();
      cluster.startGateway(GW, List.of());
      require(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(90)).isPresent(), "the gateway did not come up");
      int i = 0;
      for (Agent a : agents) {
        LinkEmulator link = LinkEmulator.start("127.0.0.1", cluster.hub().port()).withSeed(settings.seed() + i++);
        links.put(a.id(), link);
        cluster.startAgent(a.id(), GW, a.layer(), a.labels(), link.url(), List.of());
      }
      require(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == agents.size(), Duration.ofSeconds(90)).isPresent(),
          "the agents did not join");
      for (ServiceSpec spec : specs) {
        cluster.apply(GW, spec);
      }

      InvariantMonitor monitor = new InvariantMonitor(specs,
          agents.stream().map(a -> new InvariantMonitor.Device(a.id(), a.layer(), a.labels())).toList(),
          primary.name(), System.nanoTime(), gatewayLaunched);
      Dispatcher feed = subscribe(cluster, monitor, primary.name(), dataSubject);
      require(awaitUntil(monitor::allRunning, SETUP_TIMEOUT), "the app did not start: not every service reported running");
      timeline.log("chaos: app running (%s); %d faults from seed %d over %d s: %s",
          specs.stream().map(ServiceSpec::name).collect(Collectors.joining(", ")), faults.size(), settings.seed(),
          settings.run().toSeconds(), faults.stream().map(f -> f.kind().name()).collect(Collectors.joining(" ")));

      long chaosStart = System.nanoTime();
      List<InvariantMonitor.Breach> logged = new ArrayList<>();
      background.scheduleAtFixedRate(() -> {
        monitor.check(System.nanoTime());
        List<InvariantMonitor.Breach> all = monitor.breaches();
        synchronized (logged) {
          for (int b = logged.size(); b < all.size(); b++) {
            InvariantMonitor.Breach br = all.get(b);
            timeline.log("BREACH %s at %.3fs of the chaos phase: %s", br.invariant(),
                (br.atNanos() - chaosStart) / 1e9, br.message());
            logged.add(br);
          }
        }
      }, 0, CHECK_EVERY.toMillis(), TimeUnit.MILLISECONDS);
      background.scheduleWithFixedDelay(() -> pollPlacements(cluster, monitor), 0, PLACEMENTS_EVERY.toMillis(),
          TimeUnit.MILLISECONDS);

      Map<ChaosSchedule.Kind, Integer> done = new EnumMap<>(ChaosSchedule.Kind.class);
      ArrayNode faultsNode = out.putArray("faults");
      String stoppedBy = null;
      for (ChaosSchedule.Fault f : faults) {
        if (!waitUntilOrBreach(chaosStart + f.at().toNanos(), monitor, settings.keepGoing())) {
          break;
        }
        long at = System.nanoTime();
        Agent agent = f.target() == null ? null : agents.stream().filter(a -> a.id().equals(f.target())).findFirst()
            .orElseThrow();
        inject(f, agent, cluster, links, monitor);
        done.merge(f.kind(), 1, Integer::sum);
        ObjectNode fn = faultsNode.addObject();
        fn.put("atMs", (at - chaosStart) / 1_000_000);
        fn.put("kind", f.kind().name());
        if (f.target() != null) {
          fn.put("target", f.target());
        }
        fn.put("downtimeMs", f.downtime().toMillis());
      }
      waitUntilOrBreach(chaosStart + settings.run().toNanos(), monitor, settings.keepGoing());
      long end = System.nanoTime();
      background.shutdownNow();
      background.awaitTermination(5, TimeUnit.SECONDS);
      cluster.nats().closeDispatcher(feed);

      Optional<InvariantMonitor.Breach> first = monitor.firstBreach();
      out.put("chaosSeconds", Math.round((end - chaosStart) / 1e8) / 10.0);
      ObjectNode kills = out.putObject("faultsDone");
      for (ChaosSchedule.Kind k : ChaosSchedule.Kind.values()) {
        kills.put(k.name(), done.getOrDefault(k, 0));
      }
      List<Long> rec = monitor.recoveryMillis();
      ObjectNode r = out.putObject("recovery");
      r.put("count", rec.size());
      r.put("p50Ms", percentile(rec, 50));
      r.put("p99Ms", percentile(rec, 99));
      r.put("maxMs", rec.stream().mapToLong(Long::longValue).max().orElse(0));
      r.put("budgetMs", InvariantMonitor.RECOVERY_BUDGET.toMillis());
      ObjectNode m = out.putObject("messages");
      m.put("subject", dataSubject);
      m.put("received", obs.received());
      m.put("lost", obs.missing());
      m.put("gaps", obs.gaps());
      m.put("duplicated", obs.duplicates());
      m.put("staleEpoch", obs.staleEpoch());
      m.put("epochs", obs.currentEpoch());
      ObjectNode subs = m.putObject("subscribers");
      obs.subscriberStats().forEach((k, v) -> subs.set(k, MessageCodec.mapper().valueToTree(v)));
      ArrayNode durableOut = m.putArray("durable");
      boolean durableOk = true;
      for (ServiceSpec dpub : durablePublishers) {
        ObjectNode d = durable(cluster, dpub, specs);
        durableOut.add(d);
        durableOk &= d.get("lost").asLong(-1) == 0 && d.get("storedTwice").asLong(-1) == 0;
      }
      ObjectNode dp = out.putObject("doublePrimary");
      dp.put("windows", monitor.doublePrimaryWindows());
      dp.put("longestMs", monitor.longestDoublePrimaryMillis());
      dp.put("allowanceMs", InvariantMonitor.DOUBLE_PRIMARY_ALLOWANCE.toMillis());
      ArrayNode bn = out.putArray("breaches");
      for (InvariantMonitor.Breach b : monitor.breaches()) {
        ObjectNode o = bn.addObject();
        o.put("invariant", b.invariant().name());
        o.put("atSeconds", Math.round((b.atNanos() - chaosStart) / 1e6) / 1000.0);
        o.put("service", b.service());
        o.put("message", b.message());
      }
      boolean allKinds = done.size() == ChaosSchedule.Kind.values().length;
      out.put("everyKindInjected", allKinds);
      out.put("passed", first.isEmpty() && allKinds && durableOk);
      timeline.log("chaos: %s after %.1f s; faults %s; recovery p50 %d ms, p99 %d ms, max %d ms (%d recoveries); "
              + "core messages lost %d, duplicated %d, stale %d; durable %s; longest double primary %d ms",
          first.isEmpty() ? "no breach" : "STOPPED AT BREACH", (end - chaosStart) / 1e9, done, percentile(rec, 50),
          percentile(rec, 99), r.get("maxMs").asLong(), rec.size(), obs.missing(), obs.duplicates(),
          obs.staleEpoch(), durableOut, monitor.longestDoublePrimaryMillis());
      first.ifPresent(b -> timeline.log("chaos: first breach %s at %.3fs: %s (seed %d)", b.invariant(),
          (b.atNanos() - chaosStart) / 1e9, b.message(), settings.seed()));
    } finally {
      background.shutdownNow();
      links.values().forEach(LinkEmulator::close);
    }
    return out;
  }

  /**
   * The durable channel of {@code dpub}, measured from its stream once the chaos is over: the
   * publisher is stopped (it drains what it has in flight), the stream read back, and the
   * subscribers' durable consumers given time to acknowledge everything. Lost = stored (so
   * acknowledged to the publisher by JetStream) but never acknowledged by a subscriber, which
   * acknowledges only after it has accounted for a message.
   */
  private ObjectNode durable(LocalCluster cluster, ServiceSpec dpub, List<ServiceSpec> specs) throws Exception {
    DurableChannel ch = DurableChannel.fromConfig(dpub.config()).orElseThrow();
    ObjectNode d = MessageCodec.mapper().createObjectNode();
    d.put("publisher", dpub.name());
    d.put("stream", ch.stream());
    cluster.request(GW, io.fogwise.protocol.ServiceRequest.delete(dpub.name()));
    var jsm = cluster.nats().jetStreamManagement();
    long[] last = {-1};
    awaitUntil(() -> {
      try {
        long now = jsm.getStreamInfo(ch.stream()).getStreamState().getLastSequence();
        boolean stable = now == last[0];
        last[0] = now;
        return stable;
      } catch (Exception e) {
        return false;
      }
    }, Duration.ofSeconds(30));
    Set<String> distinct = new HashSet<>();
    long stored = 0;
    for (long seq = 1; seq <= last[0]; seq++) {
      try {
        var mi = jsm.getMessage(ch.stream(), seq);
        AppMessage a = MessageCodec.decode(mi.getData(), AppMessage.class);
        if (a.service().equals(dpub.name())) {
          stored++;
          distinct.add(a.epoch() + "/" + a.number());
        }
      } catch (io.nats.client.JetStreamApiException gone) {
        // beyond the stream's limits: not counted either way
      }
    }
    d.put("stored", stored);
    d.put("storedTwice", stored - distinct.size());
    String app = dpub.config().get("app");
    ArrayNode consumers = d.putArray("subscribers");
    long lost = 0;
    for (ServiceSpec sub : specs) {
      if (!"subscriber".equals(sub.kind()) || DurableChannel.fromConfig(sub.config()).isEmpty()
          || !app.equals(sub.config().get("app"))) {
        continue;
      }
      long lastSeq = last[0];
      boolean drained = awaitUntil(() -> {
        try {
          var ci = jsm.getConsumerInfo(ch.stream(), sub.name());
          return ci.getAckFloor().getStreamSequence() >= lastSeq && ci.getNumAckPending() == 0;
        } catch (Exception e) {
          return false;
        }
      }, Duration.ofSeconds(60));
      var ci = jsm.getConsumerInfo(ch.stream(), sub.name());
      long acked = Math.min(lastSeq, ci.getAckFloor().getStreamSequence());
      ObjectNode c = consumers.addObject();
      c.put("subscriber", sub.name());
      c.put("drained", drained);
      c.put("ackFloor", ci.getAckFloor().getStreamSequence());
      c.put("redelivered", ci.getRedelivered());
      c.put("notAcknowledged", lastSeq - acked + ci.getNumAckPending());
      lost += lastSeq - acked + ci.getNumAckPending();
    }
    d.put("lost", lost);
    return d;
  }

  private void inject(ChaosSchedule.Fault f, Agent agent, LocalCluster cluster, Map<String, LinkEmulator> links,
      InvariantMonitor monitor) throws Exception {
    long down = f.downtime().toNanos();
    switch (f.kind()) {
      case AGENT_KILL -> {
        monitor.deviceDown(agent.id(), System.nanoTime());
        cluster.kill(agent.id());
        timeline.log("chaos: SIGKILL agent %s; back in %d ms", agent.id(), f.downtime().toMillis());
        pauseUntil(System.nanoTime() + down);
        cluster.startAgent(agent.id(), GW, agent.layer(), agent.labels(), links.get(agent.id()).url(), List.of());
        monitor.deviceBack(agent.id(), System.nanoTime());
      }
      case GATEWAY_KILL -> {
        monitor.gatewayDown(System.nanoTime());
        cluster.kill(GW);
        timeline.log("chaos: SIGKILL gateway %s; back in %d ms", GW, f.downtime().toMillis());
        pauseUntil(System.nanoTime() + down);
        monitor.gatewayLaunched(System.currentTimeMillis());
        cluster.startGateway(GW, List.of());
      }
      case HUB_KILL -> {
        monitor.hubDown(System.nanoTime());
        cluster.killHub();
        pauseUntil(System.nanoTime() + down);
        cluster.restartHub();
        monitor.hubUp(System.nanoTime());
      }
      case LINK_CUT -> {
        LinkEmulator link = links.get(agent.id());
        monitor.deviceDown(agent.id(), System.nanoTime());
        link.cut();
        timeline.log("chaos: link of %s cut; restored in %d ms", agent.id(), f.downtime().toMillis());
        pauseUntil(System.nanoTime() + down);
        link.restore();
        monitor.deviceBack(agent.id(), System.nanoTime());
        timeline.log("chaos: link of %s restored", agent.id());
      }
    }
  }

  private Dispatcher subscribe(LocalCluster cluster, InvariantMonitor monitor, String primary, String dataSubject) {
    Dispatcher d = cluster.nats().createDispatcher(msg -> {
      long now = System.nanoTime();
      String subject = msg.getSubject();
      try {
        if (subject.equals(dataSubject)) {
          AppMessage a = MessageCodec.decode(msg.getData(), AppMessage.class);
          if (a.service().equals(primary)) {
            monitor.dataMessage(a.epoch(), now);
          }
        } else if (subject.startsWith("fw.hb.")) {
          Heartbeat hb = MessageCodec.decode(msg.getData(), Heartbeat.class);
          Set<String> running = new HashSet<>();
          for (InstanceReport r : hb.instances()) {
            if (r.state() == InstanceReport.InstanceState.RUNNING) {
              running.add(r.service());
            }
          }
          monitor.heartbeat(hb.deviceId(), running, now);
        } else {
          GatewayStatus s = MessageCodec.decode(msg.getData(), GatewayStatus.class);
          monitor.gatewayStatus(s.startedAtMillis(), now);
        }
      } catch (RejectedMessageException ignored) {
        // the gateway and subscribers count malformed messages; nothing here sends any
      }
    });
    d.subscribe(dataSubject);
    d.subscribe(Subjects.heartbeats(GW));
    d.subscribe(Subjects.status(GW));
    return d;
  }

  private void pollPlacements(LocalCluster cluster, InvariantMonitor monitor) {
    try {
      int port = cluster.httpPort(GW);
      HttpResponse<byte[]> resp = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/services"))
          .timeout(Duration.ofMillis(500)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      long now = System.nanoTime();
      if (resp.statusCode() != 200) {
        return;
      }
      JsonNode body = MessageCodec.mapper().readTree(resp.body());
      for (JsonNode svc : body) {
        JsonNode spec = svc.has("spec") ? svc.get("spec") : svc;
        JsonNode placements = svc.get("placements");
        if (spec.has("name") && placements != null) {
          monitor.placements(spec.get("name").asText(), placements.size(), now);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception unreachable) {
      // the gateway is down or slow: its placements are unknown, which the monitor allows for
    }
  }

  /** Waits until {@code nanos}; false if a breach stops the run first. */
  private static boolean waitUntilOrBreach(long nanos, InvariantMonitor monitor, boolean keepGoing) {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      if (!keepGoing && monitor.firstBreach().isPresent()) {
        return false;
      }
      LockSupport.parkNanos(Math.min(left, CHECK_EVERY.toNanos()));
    }
    return keepGoing || monitor.firstBreach().isEmpty();
  }

  private static boolean awaitUntil(java.util.function.BooleanSupplier condition, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() >= deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    return true;
  }

  private static void pauseUntil(long nanos) {
    long left;
    while ((left = nanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  private static long percentile(List<Long> values, double p) {
    if (values.isEmpty()) {
      return 0;
    }
    List<Long> sorted = values.stream().sorted().toList();
    int rank = (int) Math.ceil(p / 100.0 * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("chaos setup: " + what);
    }
  }
}
