package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.FailoverProbe;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testsupport.NatsServer;
import io.fogwise.testbed.cluster.MoveProbe;
import io.fogwise.testbed.cluster.Observer;
import io.fogwise.testbed.cluster.Timeline;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code fogwise bench failover}: repeatedly SIGKILLs the agent process hosting the publisher
 * and measures, from outside, detection (kill → DEVICE_LOST received) and recovery (kill →
 * first message of the new epoch). After each run a fresh agent replaces the killed one, so
 * there are always two eligible devices.
 */
public final class FailoverBenchmark {
  private static final String GW = "gw-bench";
  private static final Map<String, String> PUB = Map.of("pub", "true");

  private final ComponentLauncher launcher;
  private final Timeline timeline;
  private boolean insecure;

  public FailoverBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = launcher;
    this.timeline = timeline;
  }

  /** Runs the hub and every component without authentication and TLS, to measure what they cost. */
  public FailoverBenchmark insecure(boolean v) {
    this.insecure = v;
    return this;
  }

  private LocalCluster cluster(Path runDir, String data) throws java.io.IOException, InterruptedException {
    NatsServer.Builder hub = NatsServer.builder();
    if (insecure) {
      hub.insecure();
    }
    return LocalCluster.start(launcher, runDir, timeline, data, hub);
  }

  /** Runs {@code runs} failovers at {@code rateHz}; returns the results document. */
  public ObjectNode run(int runs, int rateHz, Path runDir) throws Exception {
    if (runs < 1) {
      throw new IllegalArgumentException("runs must be >= 1, got " + runs);
    }
    String data = Subjects.data("bench", "failover");
    List<Long> detect = new ArrayList<>();
    List<Long> recover = new ArrayList<>();
    List<Long> outage = new ArrayList<>();
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    ArrayNode runsNode = out.putArray("runs");
    try (LocalCluster cluster = cluster(runDir, data)) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of());
      require(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent(), "gateway did not come up");
      int next = 1;
      cluster.startAgent("cloud-1", GW, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("edge-" + next++, GW, Layer.EDGE, PUB, List.of());
      cluster.startAgent("edge-" + next++, GW, Layer.EDGE, PUB, List.of());
      require(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 3, Duration.ofSeconds(60)).isPresent(),
          "agents did not join");
      cluster.apply(GW, ServiceSpec.of("publisher", "publisher", new ServiceSpec.Placement(Layer.EDGE, PUB),
          Map.of("app", "bench", "channel", "failover", "rateHz", Integer.toString(rateHz))));
      require(obs.awaitData(o -> o.received() > 0, Duration.ofSeconds(30)), "no publisher traffic");
      for (int i = 1; i <= runs; i++) {
        // let the surviving devices build a heartbeat history, and traffic settle
        long base = obs.received();
        obs.awaitData(o -> o.received() >= base + rateHz * 2L, Duration.ofSeconds(10));
        FailoverProbe.Measurement m = FailoverProbe.killPublisherHost(cluster, Duration.ofSeconds(20));
        detect.add(m.detectMs());
        recover.add(m.recoverMs());
        outage.add(m.outageMs());
        runsNode.add(MessageCodec.mapper().valueToTree(m));
        timeline.log("run %2d/%d: killed %s, detect %4d ms, recover %4d ms (epoch %d on %s)", i, runs, m.device(),
            m.detectMs(), m.recoverMs(), m.newEpoch(), m.newDevice());
        String replacement = "edge-" + next++;
        int events = obs.eventCount();
        cluster.startAgent(replacement, GW, Layer.EDGE, PUB, List.of());
        require(obs.awaitEvent(events, e -> e.type() == AdaptationEvent.Type.DEVICE_JOINED
            && replacement.equals(e.deviceId()), Duration.ofSeconds(30)).isPresent(), replacement + " did not join");
      }
      ObjectNode summary = out.putObject("summary");
      summary.put("runs", runs);
      summary.put("rateHz", rateHz);
      summary.put("heartbeatMs", 200);
      summary.put("detectMedianMs", Stats.median(detect));
      summary.put("detectMaxMs", Stats.max(detect));
      summary.put("recoverMedianMs", Stats.median(recover));
      summary.put("recoverMaxMs", Stats.max(recover));
      summary.put("outageMedianMs", Stats.median(outage));
      summary.put("outageMaxMs", Stats.max(outage));
      summary.put("messagesDuplicated", obs.duplicates());
      summary.put("messagesStaleEpoch", obs.staleEpoch());
      summary.put("targetsMet", Stats.max(detect) <= 1000 && Stats.max(recover) <= 2000);
    }
    return out;
  }

  /**
   * Planned migrations back and forth between a CLOUD and an EDGE device: the hand-over gap
   * seen by an outside subscriber, and whether numbering continued without loss or duplicates.
   */
  public ObjectNode runMoves(int runs, int rateHz, Path runDir) throws Exception {
    if (runs < 1) {
      throw new IllegalArgumentException("runs must be >= 1, got " + runs);
    }
    String data = Subjects.data("bench", "move");
    List<Long> gaps = new ArrayList<>();
    long lost = 0;
    long duplicated = 0;
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    ArrayNode runsNode = out.putArray("runs");
    try (LocalCluster cluster = cluster(runDir, data)) {
      Observer obs = cluster.observer();
      cluster.startGateway(GW, List.of("--ephemeral"));
      require(obs.awaitStatus(GW, s -> true, Duration.ofSeconds(60)).isPresent(), "gateway did not come up");
      cluster.startAgent("cloud-1", GW, Layer.CLOUD, Map.of(), List.of());
      cluster.startAgent("edge-1", GW, Layer.EDGE, Map.of(), List.of());
      require(obs.awaitStatus(GW, s -> s.devicesIn("ALIVE") == 2, Duration.ofSeconds(60)).isPresent(), "agents did not join");
      cluster.apply(GW, ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD),
          Map.of("app", "bench", "channel", "move", "rateHz", Integer.toString(rateHz))));
      require(obs.awaitData(o -> o.received() > rateHz, Duration.ofSeconds(30)), "no publisher traffic");
      for (int i = 1; i <= runs; i++) {
        long base = obs.received();
        obs.awaitData(o -> o.received() >= base + rateHz, Duration.ofSeconds(10));
        Layer to = i % 2 == 1 ? Layer.EDGE : Layer.CLOUD;
        MoveProbe.Measurement m = MoveProbe.moveToLayer(cluster, GW, "publisher", to, Duration.ofSeconds(20));
        gaps.add(m.gapMs());
        lost += m.lost();
        duplicated += m.duplicated();
        runsNode.add(MessageCodec.mapper().valueToTree(m));
        timeline.log("move %2d/%d: %s -> %s, gap %3d ms, lost %d, duplicated %d", i, runs, m.from(), m.to(), m.gapMs(),
            m.lost(), m.duplicated());
      }
      ObjectNode summary = out.putObject("summary");
      summary.put("runs", runs);
      summary.put("rateHz", rateHz);
      summary.put("gapMedianMs", Stats.median(gaps));
      summary.put("gapMaxMs", Stats.max(gaps));
      summary.put("lost", lost);
      summary.put("duplicated", duplicated);
      summary.put("messagesDuplicated", obs.duplicates());
      summary.put("messagesStaleEpoch", obs.staleEpoch());
      summary.put("targetsMet", Stats.max(gaps) <= 50 && lost == 0 && duplicated == 0);
    }
    return out;
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException(what);
    }
  }
}
