package io.fogwise.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.services.Publisher;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.InstanceReport.InstanceState;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.SubscriberStats.PublisherStats;
import io.fogwise.protocol.Telemetry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The agent against a real nats-server: heartbeats, telemetry, commands and hosted services. */
class EdgeAgentIT extends AgentItBase {
  private static final String GW = "gw-it";

  // ---- tests ------------------------------------------------------------------------------

  @Test
  void heartbeatsArriveAtTheConfiguredIntervalAndListInstances() {
    List<Received<Heartbeat>> hbs = listen(Subjects.heartbeat(GW, "hb-dev"), Heartbeat.class);
    EdgeAgent agent =
        agent("hb-dev", b -> b.heartbeatInterval(Duration.ofMillis(100)).layer(Layer.FOG).deviceClass("rpi4")
            .label("zone", "a"));

    await().atMost(WAIT).until(() -> hbs.size() >= 11);
    Received<Heartbeat> first = hbs.get(0);
    Received<Heartbeat> last = hbs.get(hbs.size() - 1);
    assertEquals(0, first.msg().seq());
    for (int i = 1; i < hbs.size(); i++) {
      assertEquals(hbs.get(i - 1).msg().seq() + 1, hbs.get(i).msg().seq(), "seq increments by one");
    }
    double meanMs = (last.nanos() - first.nanos()) / 1e6 / (last.msg().seq() - first.msg().seq());
    assertTrue(meanMs > 70 && meanMs < 150, "mean heartbeat interval " + meanMs + " ms, configured 100 ms");
    Heartbeat hb = last.msg();
    assertEquals(100, hb.intervalMs());
    assertEquals(Layer.FOG, hb.layer());
    assertEquals("rpi4", hb.deviceClass());
    assertEquals(Map.of("zone", "a"), hb.labels());
    assertEquals(List.of(), hb.instances());

    assertOk(command("hb-dev", Command.start("r1", "pub-hb", "publisher", 4, Map.of("rateHz", "10"))));
    Received<Heartbeat> listed = awaitMessage(hbs, h -> !h.instances().isEmpty());
    assertEquals(
        List.of(new InstanceReport("pub-hb", "publisher", 4, InstanceState.RUNNING, 0)),
        withoutOutputs(listed.msg().instances()));
    assertNotNull(listed.msg().instances().get(0).outputs(), "a publisher counts its messages");
    assertEquals(withoutOutputs(listed.msg().instances()), withoutOutputs(agent.instances()));
  }

  @Test
  void publisherAndSubscriberOnTwoAgentsSeeNoLossAcrossAnEpochChange() {
    EdgeAgent pubAgent = agent("pub-dev", b -> b.heartbeatInterval(Duration.ofMillis(50)));
    agent("sub-dev", b -> {});
    List<Received<SubscriberStats>> stats = listen(Subjects.subscriberStats("sub1"), SubscriberStats.class);
    List<Received<Heartbeat>> pubHbs = listen(Subjects.heartbeat(GW, "pub-dev"), Heartbeat.class);

    Map<String, String> data = Map.of("app", "itapp", "channel", "ch1");
    assertOk(command("sub-dev", Command.start("r1", "sub1", "subscriber", 1, with(data, "statsIntervalMs", "100"))));
    awaitMessage(stats, s -> true); // subscribed before the first message is published
    assertOk(command("pub-dev", Command.start("r2", "pub1", "publisher", 1, with(data, "rateHz", "1000"))));

    PublisherStats seen = awaitPublisher(stats, "pub1", p -> p.received() > 300);
    assertEquals("sub-dev", stats.get(stats.size() - 1).msg().subscriberId());
    assertEquals(Subjects.data("itapp", "ch1"), stats.get(stats.size() - 1).msg().subject());
    assertEquals(1, seen.epoch());
    assertEquals(0, seen.gaps());
    assertEquals(0, seen.missing());
    assertEquals(0, seen.duplicates());
    assertTrue(seen.latencyP50Micros() <= seen.latencyP99Micros() && seen.latencyP99Micros() <= seen.latencyMaxMicros());

    // heartbeats stay timely while the publisher works at 1 kHz on the same agent
    int from = pubHbs.size();
    await().atMost(WAIT).until(() -> pubHbs.size() >= from + 20);
    List<Received<Heartbeat>> window = List.copyOf(pubHbs.subList(from, from + 20));
    double meanMs = (window.get(19).nanos() - window.get(0).nanos()) / 1e6 / 19;
    assertTrue(meanMs > 35 && meanMs < 75, "mean heartbeat interval under load " + meanMs + " ms, configured 50 ms");

    // a new epoch continues the numbering (as a handover would) and is not a gap
    Publisher epoch1 = (Publisher) pubAgent.service("pub1").orElseThrow();
    long handover = epoch1.nextNumber();
    assertOk(command("pub-dev", Command.start("r3", "pub1", "publisher", 2,
        with(with(data, "rateHz", "1000"), "startNumber", Long.toString(handover)))));
    Publisher epoch2 = (Publisher) pubAgent.service("pub1").orElseThrow();
    assertEquals(
        List.of(new InstanceReport("pub1", "publisher", 2, InstanceState.RUNNING, 0)), withoutOutputs(pubAgent.instances()));
    awaitPublisher(stats, "pub1", p -> p.epoch() == 2 && p.received() > seen.received() + 100);

    assertOk(command("pub-dev", Command.stop("r4", "pub1", 2)));
    assertEquals(List.of(), pubAgent.instances());
    awaitMessage(pubHbs, h -> h.instances().isEmpty());
    long published = epoch1.nextNumber() + (epoch2.nextNumber() - handover);
    PublisherStats done = awaitPublisher(stats, "pub1", p -> p.received() >= published);
    assertEquals(published, done.received(), "every published message arrived exactly once");
    assertEquals(0, done.gaps());
    assertEquals(0, done.missing());
    assertEquals(0, done.duplicates());
    assertEquals(0, done.staleEpoch());

    // stopping the subscriber publishes its final stats
    int before = stats.size();
    assertOk(command("sub-dev", Command.stop("r5", "sub1", 1)));
    await().atMost(WAIT).until(() -> stats.size() > before);
  }

  @Test
  void startIsIdempotentPerEpochAndStopNeedsTheHostedEpoch() {
    EdgeAgent agent = agent("idem-dev", b -> {});
    Command start = Command.start("r1", "p", "publisher", 7, Map.of("rateHz", "5"));
    assertOk(command("idem-dev", start));
    Object service = agent.service("p").orElseThrow();
    assertOk(command("idem-dev", start));
    assertEquals(Optional.of(service), agent.service("p"), "same instance after a repeated START");
    assertEquals(1, agent.instances().size());

    CommandReply wrongEpoch = command("idem-dev", Command.stop("r2", "p", 6));
    assertError(wrongEpoch, "no instance of service 'p' epoch 6 on device idem-dev");
    assertEquals("r2", wrongEpoch.requestId());
    assertError(command("idem-dev", Command.start("r3", "p", "subscriber", 7, Map.of())), "already runs");
    assertOk(command("idem-dev", Command.stop("r4", "p", 7)));
    assertError(command("idem-dev", Command.stop("r5", "p", 7)), "no instance of service 'p' epoch 7 on device idem-dev");
  }

  @Test
  void malformedCommandsGetAnErrorReplyAndAreCounted() {
    List<Received<Heartbeat>> hbs = listen(Subjects.heartbeat(GW, "bad-dev"), Heartbeat.class);
    EdgeAgent agent = agent("bad-dev", b -> b.heartbeatInterval(Duration.ofMillis(50)));

    CommandReply notJson = request("bad-dev", "this is not JSON");
    assertError(notJson, "not a JSON object");
    assertNull(notJson.requestId());
    assertEquals("bad-dev", notJson.deviceId());
    assertError(
        request("bad-dev",
            "{\"requestId\":\"r1\",\"action\":\"START\",\"service\":\"s\",\"kind\":\"publisher\",\"epoch\":1,"
                + "\"config\":{},\"colour\":\"red\"}"),
        "unknown field 'colour'");
    assertError(
        request("bad-dev", "{\"requestId\":\"r2\",\"action\":\"EXPLODE\",\"service\":\"s\",\"epoch\":1}"),
        "action");

    assertEquals(3, agent.rejections().total());
    assertEquals(1, agent.rejections().count("command", RejectReason.MALFORMED));
    assertEquals(1, agent.rejections().count("command", RejectReason.UNKNOWN_FIELD));
    assertEquals(1, agent.rejections().count("command", RejectReason.UNKNOWN_TYPE));

    long seq = awaitMessage(hbs, h -> true).msg().seq();
    awaitMessage(hbs, h -> h.seq() >= seq + 3);
    assertEquals(List.of(), agent.instances());
  }

  @Test
  void unknownKindAndUnknownServiceAreErrors() {
    EdgeAgent agent = agent("err-dev", b -> {});
    CommandReply r = command("err-dev", Command.start("r1", "s1", "teleporter", 1, Map.of()));
    assertError(r, "unknown service kind 'teleporter'");
    assertEquals("r1", r.requestId());
    assertError(command("err-dev", Command.stop("r2", "ghost", 1)), "no instance of service 'ghost' epoch 1 on device err-dev");
    assertError(
        command("err-dev", Command.start("r3", "s2", "publisher", 1, Map.of("rateHz", "fast"))),
        "config 'rateHz' must be a number");
    assertError(
        command("err-dev", Command.start("r4", "s3", "publisher", 1, Map.of("rateHz", "20000"))),
        "config 'rateHz'");
    assertEquals(List.of(), agent.instances());
    assertEquals(0, agent.rejections().total(), "well-formed commands are not rejections");
  }

  @Test
  void aCrashingServiceIsRestartedWithBackoffAndReportedInHeartbeats() {
    List<Received<Heartbeat>> hbs = listen(Subjects.heartbeat(GW, "crash-dev"), Heartbeat.class);
    AtomicInteger flakyRuns = new AtomicInteger();
    EdgeAgent agent =
        agent("crash-dev", b -> b.heartbeatInterval(Duration.ofMillis(20))
            .restartBackoff(Duration.ofMillis(40), Duration.ofMillis(200))
            .service("crashy", ctx -> () -> {
              throw new IllegalStateException("boom");
            })
            .service("flaky", ctx -> () -> {
              if (flakyRuns.incrementAndGet() == 1) {
                throw new IllegalStateException("first run fails");
              }
              ctx.awaitStop(Duration.ofDays(1));
            }));

    assertOk(command("crash-dev", Command.start("r1", "c1", "crashy", 3, Map.of())));
    assertOk(command("crash-dev", Command.start("r2", "f1", "flaky", 1, Map.of())));
    awaitMessage(hbs, h -> h.instances().stream().anyMatch(i -> i.service().equals("c1") && i.state() == InstanceState.RESTARTING));
    awaitMessage(hbs, h -> h.instances().stream().anyMatch(i -> i.service().equals("c1") && i.restarts() >= 3));
    // recovered, and the heartbeat still says why it last crashed
    InstanceReport recovered = new InstanceReport("f1", "flaky", 1, InstanceState.RUNNING, 1, null, "first run fails");
    awaitMessage(hbs, h -> h.instances().contains(recovered));
    awaitMessage(hbs, h -> h.instances().stream().anyMatch(i -> i.service().equals("c1") && "boom".equals(i.reason())));

    assertOk(command("crash-dev", Command.stop("r3", "c1", 3)));
    assertEquals(List.of(recovered), agent.instances());
    assertEquals(2, flakyRuns.get());
  }

  @Test
  void scriptedSensorsShowUpInTelemetry() {
    List<Received<Telemetry>> tms = listen(Subjects.telemetry(GW, "tm-dev"), Telemetry.class);
    ScriptedSensors sensors = SensorSource.scripted().setBattery(20).setTemperature(85);
    agent("tm-dev", b -> b.sensors(sensors).telemetryInterval(Duration.ofMillis(50)));

    Telemetry t = awaitMessage(tms, m -> Double.valueOf(20).equals(m.batteryPct())).msg();
    assertEquals(85.0, t.temperatureC());
    assertTrue(t.cpuLoad() >= 0 && t.cpuLoad() <= 1);
    assertTrue(t.memUsedBytes() > 0 && t.memMaxBytes() >= t.memUsedBytes(), t.toString());

    sensors.apply("set battery 15").apply("clear temperature");
    Telemetry later = awaitMessage(tms, m -> Double.valueOf(15).equals(m.batteryPct())).msg();
    assertNull(later.temperatureC());
  }

  @Test
  void closeStopsEverythingAndIsIdempotent() {
    List<Received<Heartbeat>> hbs = listen(Subjects.heartbeat(GW, "close-dev"), Heartbeat.class);
    EdgeAgent agent = agent("close-dev", b -> b.heartbeatInterval(Duration.ofMillis(20)));
    assertOk(command("close-dev", Command.start("r1", "p", "publisher", 1, Map.of())));
    awaitMessage(hbs, h -> !h.instances().isEmpty());
    agent.close();
    agent.close();
    assertEquals(List.of(), agent.instances());
    assertFalse(agent.service("p").isPresent());
  }

  // ---- helpers ----------------------------------------------------------------------------

  private EdgeAgent agent(String device, Consumer<AgentConfig.Builder> tweak) {
    AgentConfig.Builder b = AgentConfig.builder().deviceId(device).gatewayId(GW);
    tweak.accept(b);
    return agent(b);
  }

  /** The reports with their output counts dropped, which change with every message. */
  private static List<InstanceReport> withoutOutputs(List<InstanceReport> reports) {
    return reports.stream()
        .map(r -> new InstanceReport(r.service(), r.kind(), r.epoch(), r.state(), r.restarts()))
        .toList();
  }
}
