package io.fogwise.cloud.history;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.Role;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.protocol.time.Scheduler;
import io.fogwise.testsupport.NatsServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The miner's ingestion, store and leadership on a real secure nats-server (the hub's history
 * streams, the cloud role's credentials): a crash between storing and acknowledging, a restart,
 * bad input of each kind, two instances sharing a consumer and a store, and the lease moving.
 */
class HistoryIngestIT {
  private static final long NOW = 1_800_000_000_000L;
  private static final Duration AWAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private NatsServer server;
  private Connection op;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final ManualClock clock = new ManualClock(NOW);

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    op = server.connect();
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    op.close();
    server.close();
  }

  /** A miner's connection, with credentials of role miner as {@code fogwise cloud} uses them. */
  private Connection cloud() throws Exception {
    Connection c = Nats.connect(NatsOptions.component(server.url(), "miner", server.auth(Role.MINER, "miner")).build());
    closing.add(c);
    return c;
  }

  private static byte[] json(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Publishes {@code n} good telemetry messages over 20 devices of two gateways. */
  private void publishTelemetry(int n, long from) throws Exception {
    JetStream js = op.jetStream();
    var acks = new ArrayList<java.util.concurrent.CompletableFuture<?>>();
    for (int i = 0; i < n; i++) {
      String gw = "gw" + (i % 2);
      String dev = "d" + (i % 20);
      Telemetry t = new Telemetry(dev, gw, NOW - 3_600_000 + from + i, 0.5, 100, 200, 90.0 - i % 50, 30.0, null);
      acks.add(js.publishAsync(Subjects.telemetry(gw, dev), MessageCodec.encode(t)));
    }
    java.util.concurrent.CompletableFuture.allOf(acks.toArray(new java.util.concurrent.CompletableFuture[0])).join();
  }

  /** One bad message of each kind (and one bad event); returns how many per reason. */
  private Map<BadInput, Long> publishBad() throws Exception {
    JetStream js = op.jetStream();
    String good = "\"deviceId\":\"d1\",\"gatewayId\":\"gw1\",\"memUsedBytes\":1,\"memMaxBytes\":2";
    js.publish("fw.tm.gw1.d1", json("{" + good + ",\"atMillis\":1,\"cpuLoad\":NaN}"));
    js.publish("fw.tm.gw1.d1", json("hello"));
    js.publish("fw.tm.gw1.d1", json("{" + good + ",\"atMillis\":1,\"cpuLoad\":0.1,\"batteryPct\":-5}"));
    js.publish("fw.tm.gw1.d1", json("{" + good + ",\"atMillis\":" + (NOW + 600_000) + ",\"cpuLoad\":0.1}"));
    js.publish("fw.tm.gw1.d2", json("{" + good + ",\"atMillis\":1,\"cpuLoad\":0.1}"));
    js.publish("fw.tm.gw1.d1", json("{\"deviceId\":\"d1\",\"atMillis\":1}"));
    js.publish("fw.ev.gw1", json("{\"gatewayId\":\"gw1\",\"seq\":1,\"atMillis\":1,\"type\":\"NO_SUCH\"}"));
    js.publish("fw.ev.gw2", MessageCodec.encode(event("gw1", 9, NOW - 1)));
    return Map.of(BadInput.MALFORMED, 2L, BadInput.OUT_OF_RANGE, 1L, BadInput.FUTURE_TIMESTAMP, 1L,
        BadInput.SUBJECT_MISMATCH, 2L, BadInput.MISSING_FIELD, 1L, BadInput.UNKNOWN_FIELD, 1L);
  }

  private static AdaptationEvent event(String gw, long seq, long at) {
    return new AdaptationEvent(gw, seq, at, AdaptationEvent.Type.DEVICE_JOINED, "d" + seq % 20, null, 0, null,
        "joined", Map.of("class", seq % 2 == 0 ? "sensor" : "camera"));
  }

  private void publishEvents(int n) throws Exception {
    JetStream js = op.jetStream();
    for (int i = 0; i < n; i++) {
      js.publish(Subjects.events("gw" + (i % 2)), MessageCodec.encode(event("gw" + (i % 2), i, NOW - 7_200_000 + i)));
    }
  }

  @Test
  void aCrashBetweenStoringAndAcknowledgingNeitherLosesNorDoubleCounts() throws Exception {
    int n = 3_000;
    publishTelemetry(n, 0);
    publishEvents(20);
    Map<BadInput, Long> bad = publishBad();
    HistoryIngestor.Options opts = HistoryIngestor.Options.defaults().withBatch(500).withAckWait(Duration.ofSeconds(2));

    Connection first = cloud();
    HistoryStore store = HistoryStore.open(dir, "a");
    AtomicInteger batches = new AtomicInteger();
    HistoryIngestor crashing = HistoryIngestor.create(first, store, opts, clock, HistoryMetrics.noop(),
        (stream, count) -> {
          if (stream.equals(HistoryMetrics.TELEMETRY) && batches.incrementAndGet() == 3) {
            first.close(); // the process dies: this batch is on disk and never acknowledged
            throw new IllegalStateException("crash");
          }
        });
    crashing.start();
    await().atMost(AWAIT).until(() -> first.getStatus() == Connection.Status.CLOSED);
    crashing.close();
    store.close();
    long beforeRestart = HistoryStore.load(dir).counts().telemetry();
    assertTrue(beforeRestart >= 1_000 && beforeRestart < n, "stored before the crash: " + beforeRestart);

    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (HistoryStore again = HistoryStore.open(dir, "a")) {
      HistoryIngestor restarted = HistoryIngestor.create(cloud(), again, opts, clock,
          HistoryMetrics.micrometer(meters, "a"));
      HistoryIngestor.DrainResult r = restarted.drain(AWAIT);
      assertTrue(restarted.stats().redelivered() >= 500, "the stored, unacknowledged batch came again: "
          + restarted.stats());
      History h = again.load();
      assertEquals(n, h.counts().telemetry());
      assertEquals(0, h.counts().duplicatesDropped());
      assertEquals(20, h.counts().events());
      for (BadInput b : BadInput.values()) {
        assertEquals(bad.getOrDefault(b, 0L), h.counts().rejected(b), b.name());
      }
      assertEquals(n, h.devices().stream().mapToInt(DeviceSeries::size).sum());
      assertEquals(20, h.devices().size());
      assertEquals("camera", h.devices().stream().filter(d -> d.gatewayId().equals("gw1") && d.deviceId().equals("d1"))
          .findFirst().orElseThrow().deviceClass());
      assertEquals(NOW - 3_600_000, h.fromMillis());
      assertEquals(NOW - 3_600_000 + n - 1, h.toMillis());
      assertTrue(r.messages() > 0);
      assertEquals(1.0, meters.get("fogwise_miner_rejected").tags("stream", "telemetry", "reason", "out-of-range")
          .counter().count());
    }
    // a third start stores nothing new and still counts the same
    try (HistoryStore third = HistoryStore.open(dir, "a")) {
      HistoryIngestor.create(cloud(), third, opts, clock, HistoryMetrics.noop()).drain(AWAIT);
      assertEquals(n, third.load().counts().telemetry());
    }
  }

  private MinerService miner(String id, Scheduler scheduler, MiningPass pass) throws Exception {
    MinerService.Settings s = MinerService.Settings.of(dir, id).withMineEvery(Duration.ofHours(1))
        .withLeaseTtl(Duration.ofSeconds(2))
        .withIngest(HistoryIngestor.Options.defaults().withBatch(100).withAckWait(Duration.ofSeconds(5)));
    MinerService m = MinerService.start(cloud(), s, pass, clock, scheduler, HistoryMetrics.noop());
    closing.add(m);
    return m;
  }

  private Scheduler realScheduler() {
    ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
    closing.add(ex::shutdownNow);
    return Scheduler.executor(ex);
  }

  private static MiningPass counting(String id) {
    return h -> () -> id + " mined " + h.counts().telemetry();
  }

  @Test
  void twoInstancesShareIngestionAndOneLeadsUntilItStops() throws Exception {
    MinerService m1 = miner("m1", realScheduler(), counting("m1"));
    MinerService m2 = miner("m2", realScheduler(), counting("m2"));
    int n = 20_000;
    publishTelemetry(n, 0);
    await().atMost(AWAIT).untilAsserted(() -> assertEquals(n, m1.history().counts().telemetry(),
        m1.ingestor().stats() + " / " + m2.ingestor().stats()));
    assertTrue(m1.ingestor().stats().telemetry() > 0 && m2.ingestor().stats().telemetry() > 0,
        "both took part: " + m1.ingestor().stats() + " / " + m2.ingestor().stats());
    History h = m1.history();
    assertEquals(n, h.counts().telemetry());
    // each message stored by one of them (a message only goes to both after an ack wait passed unacknowledged)
    assertEquals(n + h.counts().duplicatesDropped(),
        m1.ingestor().stats().telemetry() + m2.ingestor().stats().telemetry(), h.counts().toString());
    System.out.println("two miners: " + m1.ingestor().stats() + " / " + m2.ingestor().stats() + "; " + h.counts());

    assertTrue(m1.isLeader() ^ m2.isLeader(), "exactly one leads");
    MinerService leader = m1.isLeader() ? m1 : m2;
    MinerService other = leader == m1 ? m2 : m1;
    String leaderId = leader == m1 ? "m1" : "m2";
    String otherId = leader == m1 ? "m2" : "m1";
    assertEquals(leaderId + " mined " + n, leader.runNow("test").join().summary());
    CompletionException refused = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> other.runNow("test").join());
    assertTrue(refused.getCause().getMessage().startsWith("miner " + otherId + " is not the leader; the leader is "
        + leaderId), refused.getCause().getMessage());

    leader.close();
    await().atMost(AWAIT).until(other::isLeader);
    publishTelemetry(100, n);
    await().atMost(AWAIT).until(() -> other.ingestor().stats().telemetry() > 0
        && other.history().counts().telemetry() == n + 100);
    assertEquals(otherId + " mined " + (n + 100), other.runNow("after the take-over").join().summary());
  }

  @Test
  void aPausedLeaderLosesTheLeaseAndMayNotFinishAPassOnceAnotherTookOver() throws Exception {
    ManualScheduler frozen = new ManualScheduler(new ManualClock(NOW)); // its renewals never run: a paused process
    MinerService paused = miner("old", frozen, counting("old"));
    assertTrue(paused.isLeader());
    MinerService next = miner("new", realScheduler(), counting("new"));
    assertFalse(next.isLeader());
    await().atMost(AWAIT).until(next::isLeader); // the lease lapsed after its TTL
    assertTrue(paused.isLeader(), "the paused leader has not looked yet");
    CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
        () -> paused.runNow("woke up").join());
    assertTrue(e.getCause().getMessage().startsWith("miner old is not the leader; the leader is new"),
        e.getCause().getMessage());
    assertEquals("new mined 0", next.runNow("test").join().summary());
  }
}
