package io.fogwise.testbed.load;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The generator against a real nats-server, read back by a plain subscriber: real heartbeats on
 * the right subjects at the configured rate, and silenced devices stay silent. Scale it up by
 * hand with {@code -Dfw.generator.devices=10000} (50k heartbeats/s at the default interval).
 */
class HeartbeatGeneratorIT {
  private static final int DEVICES = Integer.getInteger("fw.generator.devices", 500);
  private static final String GW = "gw-gen";

  @Test
  void devicesHeartbeatAtTheirRateWithTheRealProtocolUntilSilenced() throws Exception {
    try (NatsServer hub = NatsServer.start()) {
      Connection sub = hub.connect();
      Map<String, AtomicLong> beats = new ConcurrentHashMap<>();
      AtomicLong bad = new AtomicLong();
      AtomicLong transit = new AtomicLong();
      Map<String, Long> lastSent = new ConcurrentHashMap<>();
      Dispatcher d = sub.createDispatcher(m -> {
        try {
          Heartbeat hb = MessageCodec.decode(m.getData(), Heartbeat.class);
          if (!m.getSubject().equals(Subjects.heartbeat(GW, hb.deviceId())) || hb.intervalMs() != 200) {
            bad.incrementAndGet();
          }
          beats.computeIfAbsent(hb.deviceId(), k -> new AtomicLong()).incrementAndGet();
          transit.accumulateAndGet(System.currentTimeMillis() - hb.sentAtMillis(), Math::max);
          lastSent.merge(hb.deviceId(), hb.sentAtMillis(), Math::max);
        } catch (Exception e) {
          bad.incrementAndGet();
        }
      });
      d.setPendingLimits(-1, -1);
      d.subscribe(Subjects.heartbeats(GW));
      sub.flush(Duration.ofSeconds(5));

      try (HeartbeatGenerator gen = HeartbeatGenerator.start(
          HeartbeatGenerator.Settings.builder(hub.url(), hub.operatorAuth(), GW, DEVICES).build())) {
        await().atMost(Duration.ofSeconds(10)).until(() -> beats.size() == DEVICES);
        transit.set(0);
        long sentBefore = gen.counters().sent();
        long started = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).until(() -> gen.counters().sent() >= sentBefore + DEVICES * 10L);
        double rate = (gen.counters().sent() - sentBefore) * 1e9 / (System.nanoTime() - started);

        // victims and a witness on the same connection (device i uses connection i mod 4): one connection is FIFO
        int conns = HeartbeatGenerator.DEFAULT_CONNECTIONS;
        List<String> victims = List.of(0, 1, 2, 3, 4).stream().map(i -> gen.deviceIds().get(i * conns)).toList();
        String alive = gen.deviceIds().get(5 * conns);
        long silenceWall = System.currentTimeMillis();
        gen.silenceAt(victims, System.nanoTime());
        // once the witness's heartbeat sent a second later has arrived, everything the victims sent before is in
        await().atMost(Duration.ofSeconds(20)).until(() -> lastSent.getOrDefault(alive, 0L) >= silenceWall + 1000);
        for (String v : victims) {
          // the generator reads the clock every 256 heartbeats (5 ms at 50k/s): that much slack
          assertTrue(lastSent.get(v) <= silenceWall + 10, v + " sent a heartbeat "
              + (lastSent.get(v) - silenceWall) + " ms after it was silenced");
        }
        HeartbeatGenerator.Counters c = gen.counters();
        System.out.printf("generator: %d devices, %.0f heartbeats/s (expected %d), max lag %d ms, %d late, %d failures;"
                + " max transit to the subscriber after the first round %d ms%n", DEVICES, rate, DEVICES * 5,
            c.maxLagNanos() / 1_000_000, c.lateBeats(), c.publishFailures(), transit.get());
        assertEquals(0, bad.get(), "every message is a valid heartbeat on its own subject");
        assertEquals(0, c.publishFailures());
        assertTrue(rate > DEVICES * 5 * 0.9, "rate " + rate);
      } finally {
        sub.close();
      }
    }
  }
}
