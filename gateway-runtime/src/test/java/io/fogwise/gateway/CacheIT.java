package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.cache.CacheEndpoint;
import io.fogwise.gateway.cache.CloudCache;
import io.fogwise.identity.Role;
import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.testsupport.NatsServer;
import io.micrometer.core.instrument.FunctionCounter;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway's cache on a real nats-server, with an in-test cloud service (a responder on
 * {@code fw.cloud.data.get} backed by a map, announcing changes itself) and a gateway whose
 * clock is manual, so ages and staleness are exact and nothing waits for time to pass.
 */
class CacheIT {
  static final String GW = "gw-cache";
  static final Duration WAIT = Duration.ofSeconds(20);

  NatsServer hub;
  Connection client;
  Cloud cloud;
  final ManualClock clock = new ManualClock();
  final List<Gateway> gateways = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void setUp() throws Exception {
    hub = NatsServer.start();
    client = hub.connect();
    cloud = new Cloud(SecureHub.connect(hub, hub.auth(Role.CLOUD, "cloud")));
    cloud.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    gateways.forEach(Gateway::close);
    cloud.close();
    client.close();
    hub.close();
  }

  Gateway gateway() throws Exception {
    Gateway g = Gateway.start(SecureHub.gatewayConfig(hub, GW).clock(clock)
        .scheduler(new ManualScheduler(clock)).httpPort(0)
        .cache(CloudCache.Settings.builder().requestTimeout(Duration.ofSeconds(2)).build()).build());
    gateways.add(g);
    return g;
  }

  DataReply natsRead(String key) throws Exception {
    Message m = client.request(Subjects.cacheGet(GW), MessageCodec.encode(new DataRequest(key)), Duration.ofSeconds(10));
    assertTrue(m != null, "the gateway answers cache reads");
    return MessageCodec.decode(m.getData(), DataReply.class, Integer.MAX_VALUE);
  }

  HttpResponse<byte[]> httpRead(Gateway g, String key) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.httpPort() + "/cache/" + key))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static String text(DataReply r) {
    return new String(r.item().value(), StandardCharsets.UTF_8);
  }

  @Test
  void putReadThroughTheGatewayUpdateInvalidatesAndIsReRead() throws Exception {
    Gateway g = gateway();
    cloud.put("cfg/thresholds.json", "application/json", "{\"max\":40}");

    DataReply first = natsRead("cfg/thresholds.json");
    assertEquals("{\"max\":40}", text(first));
    assertEquals(1, first.item().version());
    assertFalse(first.stale());

    HttpResponse<byte[]> resp = httpRead(g, "cfg/thresholds.json");
    assertEquals(200, resp.statusCode());
    assertEquals("{\"max\":40}", new String(resp.body(), StandardCharsets.UTF_8));
    assertEquals("application/json", resp.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("1", resp.headers().firstValue("X-Fogwise-Version").orElseThrow());
    assertEquals("false", resp.headers().firstValue("X-Fogwise-Stale").orElseThrow());
    assertEquals("0", resp.headers().firstValue("Age").orElseThrow());
    assertEquals(1, cloud.asked("cfg/thresholds.json"), "NATS and HTTP reads share one cached copy");

    cloud.put("cfg/thresholds.json", "application/json", "{\"max\":45}"); // announces the change
    await().atMost(WAIT).until(() -> natsRead("cfg/thresholds.json").item().version() == 2);
    assertEquals("{\"max\":45}", text(natsRead("cfg/thresholds.json")));
    assertEquals(2, cloud.asked("cfg/thresholds.json"), "invalidated once, re-read once");
    HttpResponse<byte[]> updated = httpRead(g, "cfg/thresholds.json");
    assertEquals("2", updated.headers().firstValue("X-Fogwise-Version").orElseThrow());

    cloud.delete("cfg/thresholds.json");
    await().atMost(WAIT).until(() -> natsRead("cfg/thresholds.json").isNotFound());
    assertEquals(404, httpRead(g, "cfg/thresholds.json").statusCode());
  }

  @Test
  void badInputIsCountedAndAnsweredWithAnError() throws Exception {
    Gateway g = gateway();
    DataReply unknown = natsRead("no/such/key");
    assertTrue(unknown.isNotFound(), unknown.error());
    HttpResponse<byte[]> notFound = httpRead(g, "no/such/key");
    assertEquals(404, notFound.statusCode());
    assertTrue(new String(notFound.body(), StandardCharsets.UTF_8).contains("not found"));

    Message m = client.request(Subjects.cacheGet(GW), "{\"key\":\"../x\"}".getBytes(StandardCharsets.UTF_8),
        Duration.ofSeconds(10));
    DataReply bad = MessageCodec.decode(m.getData(), DataReply.class);
    assertNull(bad.item());
    assertTrue(bad.error().startsWith("malformed cache request"), bad.error());
    client.request(Subjects.cacheGet(GW), "not json".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));

    HttpResponse<byte[]> badHttp = httpRead(g, "a..b");
    assertEquals(400, badHttp.statusCode());
    assertTrue(new String(badHttp.body(), StandardCharsets.UTF_8).contains("\"field\":\"key\""));

    assertEquals(2, g.rejections().count(CacheEndpoint.READ_KIND, RejectReason.INVALID_FIELD));
    assertEquals(1, g.rejections().count(CacheEndpoint.READ_KIND, RejectReason.MALFORMED));
    assertEquals(0, cloud.asked("a..b") + cloud.asked("../x"), "nothing malformed reaches the cloud");
  }

  @Test
  void cloudStoppedServesStaleWithItsAgeThenRefreshesWhenBack() throws Exception {
    Gateway g = gateway();
    cloud.put("ref/sites.csv", "text/csv", "site,lat\n1,52.1\n");
    assertEquals(1, natsRead("ref/sites.csv").item().version());

    cloud.stop();
    cloud.put("ref/sites.csv", "text/csv", "site,lat\n1,52.2\n"); // changed while the link is down
    clock.advance(Duration.ofMinutes(7));
    DataReply stale = natsRead("ref/sites.csv");
    assertTrue(stale.stale());
    assertEquals(Duration.ofMinutes(7).toMillis(), stale.ageMs());
    assertEquals(1, stale.item().version());
    HttpResponse<byte[]> resp = httpRead(g, "ref/sites.csv");
    assertEquals(200, resp.statusCode());
    assertEquals("true", resp.headers().firstValue("X-Fogwise-Stale").orElseThrow());
    assertEquals("420", resp.headers().firstValue("Age").orElseThrow());
    assertEquals(2.0, g.meters().get("fogwise_cache_stale_answers").counter().count());
    assertTrue(g.meters().get("fogwise_cache_cloud_failures").tag("reason", "no_responders").counter().count() >= 1);

    // nothing cached and the cloud away: the gateway says so
    HttpResponse<byte[]> never = httpRead(g, "never/read");
    assertEquals(504, never.statusCode());

    cloud.start();
    clock.advance(CloudCache.Settings.DEFAULT_RETRY_AFTER_FAILURE);
    DataReply fresh = natsRead("ref/sites.csv");
    assertFalse(fresh.stale());
    assertEquals(2, fresh.item().version());
    assertEquals(0, fresh.ageMs());
  }

  @Test
  void aCloudThatAnswersGarbageGetsTheStaleValueAndIsCounted() throws Exception {
    Gateway g = gateway();
    cloud.put("k", "text/plain", "v1");
    natsRead("k");
    cloud.garbage = true;
    clock.advance(Duration.ofMinutes(6));
    DataReply r = natsRead("k");
    assertTrue(r.stale());
    assertEquals("v1", text(r));
    assertEquals(1.0, g.meters().get("fogwise_cache_cloud_failures").tag("reason", "garbage").counter().count());
    assertEquals(502, httpRead(g, "other").statusCode(), "garbage and nothing to fall back on");
  }

  @Test
  void concurrentMissesThroughTheGatewayLoadOnce() throws Exception {
    Gateway g = gateway();
    cloud.put("models/battery.v2", "application/octet-stream", "weights");
    cloud.hold = true;
    int n = 24;
    List<CompletableFuture<Message>> replies = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      replies.add(client.requestWithTimeout(Subjects.cacheGet(GW),
          MessageCodec.encode(new DataRequest("models/battery.v2")), Duration.ofSeconds(20)));
    }
    // every read has reached the cache (and waits on the one load) before the cloud answers
    await().atMost(WAIT).until(() -> gets(g) == n);
    assertEquals(1, cloud.asked("models/battery.v2"));
    cloud.release();
    for (CompletableFuture<Message> f : replies) {
      DataReply r = MessageCodec.decode(f.get(20, TimeUnit.SECONDS).getData(), DataReply.class);
      assertEquals("weights", text(r));
    }
    assertEquals(1, cloud.asked("models/battery.v2"), n + " concurrent misses, one cloud request");
  }

  private static double gets(Gateway g) {
    return g.meters().find("cache.gets").functionCounters().stream().mapToDouble(FunctionCounter::count).sum();
  }

  @Test
  void aRestartedGatewayStartsWarmWithTheCloudDownAndServesItsCopiesStaleWithTheirOriginalAge() throws Exception {
    Gateway first = gateway();
    cloud.put("a", "text/plain", "A");
    cloud.put("b/c", "text/plain", "BC");
    natsRead("a");
    natsRead("b/c");
    first.close(); // saves the warm-start copy
    gateways.remove(first);

    cloud.stop();
    clock.advance(Duration.ofMinutes(10));
    Gateway second = gateway(); // starts although the cloud does not answer
    await().atMost(WAIT).until(() -> natsRead("a").item() != null);
    DataReply a = natsRead("a");
    assertTrue(a.stale());
    assertEquals(Duration.ofMinutes(10).toMillis(), a.ageMs());
    HttpResponse<byte[]> bc = httpRead(second, "b/c");
    assertEquals(200, bc.statusCode());
    assertEquals("BC", new String(bc.body(), StandardCharsets.UTF_8));
    assertEquals("true", bc.headers().firstValue("X-Fogwise-Stale").orElseThrow());
    assertEquals(2, cloud.asked("a") + cloud.asked("b/c"), "each asked once, before the restart");
  }

  /** The cloud service, simulated: a map, request/reply on fw.cloud.data.get, changes announced. */
  final class Cloud implements AutoCloseable {
    final Connection nats;
    final Map<String, DataItem> items = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();
    final List<Message> held = new CopyOnWriteArrayList<>();
    volatile boolean hold;
    volatile boolean garbage;
    Dispatcher dispatcher;

    Cloud(Connection nats) {
      this.nats = nats;
    }

    void start() throws Exception {
      dispatcher = nats.createDispatcher(this::answer);
      dispatcher.subscribe(Subjects.CLOUD_DATA_GET);
      nats.flush(Duration.ofSeconds(5));
    }

    /** The cloud service goes away: nobody answers any more. */
    void stop() throws Exception {
      nats.closeDispatcher(dispatcher);
      nats.flush(Duration.ofSeconds(5));
    }

    int asked(String key) {
      AtomicInteger n = asked.get(key);
      return n == null ? 0 : n.get();
    }

    void put(String key, String contentType, String value) throws Exception {
      DataItem old = items.get(key);
      long version = old == null ? 1 : old.version() + 1;
      items.put(key, new DataItem(key, version, contentType, clock.wallMillis(), value.getBytes(StandardCharsets.UTF_8)));
      announce(new DataChange(key, version, DataChange.Op.PUT, clock.wallMillis()));
    }

    void delete(String key) throws Exception {
      DataItem old = items.remove(key);
      announce(new DataChange(key, old.version(), DataChange.Op.DELETE, clock.wallMillis()));
    }

    private void announce(DataChange c) throws Exception {
      nats.publish(Subjects.CLOUD_DATA_CHANGES, MessageCodec.encode(c));
      nats.flush(Duration.ofSeconds(5));
    }

    private void answer(Message m) {
      try {
        DataRequest req = MessageCodec.decode(m.getData(), DataRequest.class);
        asked.computeIfAbsent(req.key(), k -> new AtomicInteger()).incrementAndGet();
        if (hold) {
          held.add(m);
          return;
        }
        reply(m);
      } catch (Exception e) {
        throw new AssertionError("the gateway sent the cloud a bad request", e);
      }
    }

    private void reply(Message m) throws Exception {
      if (garbage) {
        nats.publish(m.getReplyTo(), "{\"key\": 42, \"nonsense\": true}".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String key = MessageCodec.decode(m.getData(), DataRequest.class).key();
      DataItem item = items.get(key);
      nats.publish(m.getReplyTo(), MessageCodec.encode(item == null ? DataReply.notFound(key)
          : DataReply.found(item, false, 0)));
    }

    void release() throws Exception {
      hold = false;
      for (Message m : held) {
        reply(m);
      }
      held.clear();
    }

    @Override
    public void close() throws Exception {
      nats.close();
    }
  }
}
