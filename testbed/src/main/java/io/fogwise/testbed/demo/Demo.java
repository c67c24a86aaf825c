package io.fogwise.testbed.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.FailoverProbe;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.MoveProbe;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * {@code fogwise demo}: the closed loop on one machine. A hub, a gateway and five agents
 * (CLOUD, FOG, two EDGE devices and an EDGE spare), each its own OS process; the paper's app
 * (a publisher in the cloud, subscribers in the cloud and at an edge device); the publisher is
 * moved to the edge, make-before-break, as in the paper; then its edge device is killed with
 * SIGKILL and the gateway must detect the loss and restart the publisher elsewhere. The demo measures everything itself: its own kill time and its own
 * subscription to the data channel.
 */
public final class Demo {
  /** The gateway of the demo. */
  public static final String GATEWAY = "gw-1";
  static final String APP = "demo";
  static final String CHANNEL = "readings";

  private final ComponentLauncher launcher;
  private final Timeline timeline;
  private final Options options;

  /**
   * Demo options.
   *
   * @param rateHz publisher rate
   * @param warmup how long the app runs before the kill
   * @param after how long the app runs after recovery
   * @param runDir where process logs go
   * @param orchestrator {@code process} (services in the agents' JVMs) or {@code docker} (containers)
   */
  public record Options(int rateHz, Duration warmup, Duration after, Path runDir, String orchestrator) {
    /** Agents host services in their own JVM. */
    public Options(int rateHz, Duration warmup, Duration after, Path runDir) {
      this(rateHz, warmup, after, runDir, "process");
    }

    public Options {
      if (!"process".equals(orchestrator) && !"docker".equals(orchestrator)) {
        throw new IllegalArgumentException("the demo's orchestrator is process or docker, got '" + orchestrator + "'");
      }
      if (rateHz < 1 || rateHz > 10_000) {
        throw new IllegalArgumentException("rate must be within [1, 10000] Hz, got " + rateHz);
      }
      Objects.requireNonNull(runDir, "runDir");
    }
  }

  public Demo(ComponentLauncher launcher, Timeline timeline, Options options) {
    this.launcher = launcher;
    this.timeline = timeline;
    this.options = options;
  }

  /** Runs the demo; returns the summary (field {@code ok} says whether it succeeded). */
  public ObjectNode run() throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Files.createDirectories(options.runDir());
    ObjectNode summary = MessageCodec.mapper().createObjectNode();
    summary.put("ok", false);
    try (LocalCluster cluster = LocalCluster.start(launcher, options.runDir(), timeline, Subjects.data(APP, CHANNEL))) {
      Observer obs = cluster.observer();
      obs.onEvent(this::narrate);
      summary.put("orchestrator", options.orchestrator());
      if ("docker".equals(options.orchestrator())) {
        com.github.dockerjava.api.DockerClient docker = io.fogwise.containers.DockerClients.connect();
        io.fogwise.containers.DockerClients.problem(docker).ifPresent(p -> {
          throw new DemoFailure(p);
        });
        for (String image : io.fogwise.containers.Images.defaults().values()) {
          try {
            docker.inspectImageCmd(image).exec();
          } catch (com.github.dockerjava.api.exception.NotFoundException e) {
            throw new DemoFailure("image " + image + " is not built; run images/build.sh first");
          }
        }
        cluster.useContainers(docker);
        timeline.log("agents run their services as containers (images %s)", io.fogwise.containers.Images.defaults().values());
      }
      // a container boots a JVM of its own: give its start more time than an in-process one
      cluster.startGateway(GATEWAY, cluster.containers() ? List.of("--instance-start-timeout", "30s") : List.of());
      require(obs.awaitStatus(GATEWAY, s -> true, Duration.ofSeconds(40)).isPresent(),
          "the gateway did not report status within 40 s; see " + options.runDir().resolve(GATEWAY + ".log"));
      timeline.log("gateway %s is up", GATEWAY);

      cluster.startAgent("cloud-1", GATEWAY, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("fog-1", GATEWAY, Layer.FOG, Map.of(), List.of());
      cluster.startAgent("edge-1", GATEWAY, Layer.EDGE, Map.of("pub", "true"), List.of());
      cluster.startAgent("edge-2", GATEWAY, Layer.EDGE, Map.of("sub", "true"), List.of());
      cluster.startAgent("edge-3", GATEWAY, Layer.EDGE, Map.of("pub", "true"), List.of());
      require(obs.awaitStatus(GATEWAY, s -> s.devicesIn("ALIVE") == 5, Duration.ofSeconds(40)).isPresent(),
          "not all 5 agents joined within 40 s; see the agent logs in " + options.runDir());
      timeline.log("all 5 devices are alive at the gateway");

      Map<String, String> appConfig = Map.of("app", APP, "channel", CHANNEL);
      int eventsBefore = obs.eventCount();
      cluster.apply(GATEWAY, ServiceSpec.of("sub-cloud", "subscriber", ServiceSpec.Placement.layer(Layer.CLOUD), appConfig));
      cluster.apply(GATEWAY, ServiceSpec.of("sub-edge", "subscriber",
          new ServiceSpec.Placement(Layer.EDGE, Map.of("sub", "true")), appConfig));
      cluster.apply(GATEWAY, ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD),
          Map.of("app", APP, "channel", CHANNEL, "rateHz", Integer.toString(options.rateHz()))));
      timeline.log("declared services: publisher (CLOUD, %d msg/s), sub-cloud (CLOUD), sub-edge (EDGE, sub=true)",
          options.rateHz());
      for (String svc : List.of("sub-cloud", "sub-edge", "publisher")) {
        require(obs.awaitEvent(eventsBefore, e -> e.type() == AdaptationEvent.Type.INSTANCE_STARTED
            && svc.equals(e.service()), Duration.ofSeconds(40)).isPresent(), svc + " did not start within 40 s");
      }
      require(obs.awaitData(o -> o.received() > 0, Duration.ofSeconds(10)), "no application data within 10 s");
      long warmupMsgs = Math.max(1, options.rateHz() * options.warmup().toMillis() / 1000);
      obs.awaitData(o -> o.received() >= warmupMsgs, options.warmup().plusSeconds(10));
      timeline.log("data flowing: %d messages received by the demo's own subscription, publisher in the cloud",
          obs.received());

      timeline.log(">>> moving the publisher from the cloud to the edge (make-before-break, as in the paper)");
      MoveProbe.Measurement mv;
      try {
        mv = MoveProbe.moveToLayer(cluster, GATEWAY, "publisher", Layer.EDGE, Duration.ofSeconds(15));
      } catch (IllegalStateException e) {
        throw new DemoFailure(e.getMessage());
      }
      timeline.log(">>> moved: %s -> %s, epoch %d -> %d; gap %d ms, %d lost, %d duplicated (the paper: 537 ms)",
          mv.from(), mv.to(), mv.oldEpoch(), mv.newEpoch(), mv.gapMs(), mv.lost(), mv.duplicated());
      long moved = obs.received();
      obs.awaitData(o -> o.received() >= moved + warmupMsgs, options.warmup().plusSeconds(10));
      long oldEpoch = obs.currentEpoch();
      String victim = obs.epoch(oldEpoch).orElseThrow().publisherId();

      timeline.log(">>> killing %s with SIGKILL (it hosts the publisher)%s", victim,
          cluster.containers() ? ", and its containers with docker kill" : "");
      FailoverProbe.Measurement fo;
      try {
        fo = FailoverProbe.killPublisherHost(cluster, Duration.ofSeconds(15));
      } catch (FailoverProbe.FailoverTimeout e) {
        throw new DemoFailure(e.getMessage());
      }
      timeline.log(">>> recovered: publisher epoch %d on %s; detected %d ms and recovered %d ms after the kill",
          fo.newEpoch(), fo.newDevice(), fo.detectMs(), fo.recoverMs());

      long afterMsgs = obs.received() + options.rateHz() * options.after().toMillis() / 1000;
      obs.awaitData(o -> o.received() >= afterMsgs, options.after().plusSeconds(10));
      // one more stats period so both subscribers report the post-failover traffic
      obs.awaitData(o -> false, Duration.ofMillis(1200));

      summary.set("migration", MessageCodec.mapper().valueToTree(mv));
      summary.set("failover", MessageCodec.mapper().valueToTree(fo));
      ObjectNode messages = summary.putObject("messages");
      messages.put("received", obs.received());
      messages.put("gaps", obs.gaps());
      messages.put("missing", obs.missing());
      messages.put("duplicated", obs.duplicates());
      messages.put("staleEpoch", obs.staleEpoch());
      Histogram h = obs.latency();
      messages.put("latencyP50Micros", h.getValueAtPercentile(50));
      messages.put("latencyP99Micros", h.getValueAtPercentile(99));
      messages.put("latencyMaxMicros", h.getMaxValue());
      ObjectNode subs = summary.putObject("subscribers");
      obs.subscriberStats().forEach((key, s) -> subs.set(key, MessageCodec.mapper().valueToTree(s)));
      summary.put("ok", obs.duplicates() == 0 && mv.lost() == 0 && mv.duplicated() == 0 && fo.newEpoch() > fo.oldEpoch());
      printSummary(summary, obs.subscriberStats());
    } finally {
      summary.put("durationMs", (System.nanoTime() - t0) / 1_000_000L);
      summary.put("logs", options.runDir().toString());
    }
    timeline.log("stopped every process the demo started; logs in %s", options.runDir());
    return summary;
  }

  private void narrate(AdaptationEvent e) {
    String what = switch (e.type()) {
      case DEVICE_JOINED, DEVICE_RETURNED -> e.reason();
      case DEVICE_LOST -> "DEVICE LOST " + e.deviceId() + ": " + e.reason();
      case DEVICE_EXCLUDED -> "excluded " + e.service() + " from " + e.deviceId() + ": " + e.reason();
      case INSTANCE_STARTING, INSTANCE_STARTED, INSTANCE_START_FAILED, INSTANCE_FENCED, INSTANCE_ABANDONED, ALERT ->
          e.type().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": " + e.reason();
      default -> null;
    };
    if (what != null) {
      timeline.log("  gateway %s%s", what, e.rule() == null ? "" : "  [rule: " + e.rule() + "]");
    }
  }

  private void printSummary(ObjectNode s, Map<String, SubscriberStats> subscribers) {
    var f = s.get("failover");
    var m = s.get("messages");
    var mv = s.get("migration");
    timeline.log("summary");
    System.out.printf("  migration  %s -> %s, epoch %d -> %d: gap %d ms, lost %d, duplicated %d (numbering continued)%n",
        mv.get("from").asText(), mv.get("to").asText(), mv.get("oldEpoch").asLong(), mv.get("newEpoch").asLong(),
        mv.get("gapMs").asLong(), mv.get("lost").asLong(), mv.get("duplicated").asLong());
    System.out.printf("  failover   %s -> %s, epoch %d -> %d%n", f.get("device").asText(), f.get("newDevice").asText(),
        f.get("oldEpoch").asLong(), f.get("newEpoch").asLong());
    System.out.printf("             detect %d ms, recover %d ms (kill -> first message of the new epoch), outage %d ms%n",
        f.get("detectMs").asLong(), f.get("recoverMs").asLong(), f.get("outageMs").asLong());
    System.out.printf("  messages   received %d, gaps %d, duplicated %d, stale epoch %d (demo's own subscription)%n",
        m.get("received").asLong(), m.get("gaps").asLong(), m.get("duplicated").asLong(), m.get("staleEpoch").asLong());
    System.out.printf("  latency    p50 %d us, p99 %d us, max %d us%n", m.get("latencyP50Micros").asLong(),
        m.get("latencyP99Micros").asLong(), m.get("latencyMaxMicros").asLong());
    subscribers.forEach((key, st) -> st.publishers().forEach(p -> System.out.printf(
        "  %-22s from %s: received %d, gaps %d, duplicates %d, stale epoch %d, latency p50 %d us p99 %d us%n",
        key, p.service(), p.received(), p.gaps(), p.duplicates(), p.staleEpoch(), p.latencyP50Micros(),
        p.latencyP99Micros())));
  }

  private static void require(boolean condition, String failure) {
    if (!condition) {
      throw new DemoFailure(failure);
    }
  }

  /** The demo could not complete a step; the message says which and where to look. */
  public static final class DemoFailure extends RuntimeException {
    public DemoFailure(String message) {
      super(message);
    }
  }
}
