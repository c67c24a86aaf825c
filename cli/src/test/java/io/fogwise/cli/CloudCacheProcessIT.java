package io.fogwise.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.cache.CloudCache;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Timeline;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway's cache of cloud data end to end, each component its own OS process: a real
 * nats-server, the cloud service ({@code fogwise cloud}) and durable gateways ({@code fogwise
 * gateway}); the data written with {@code fogwise cloud data put|delete}, and read the way a device
 * reads it, by an independent NATS client on {@code fw.gw.<gatewayId>.cache.get} and over HTTP
 * ({@code GET /cache/{key}}).
 */
class CloudCacheProcessIT {
  /** Default cache settings: a copy is fresh for 5 min, so within the test only a change announcement makes it re-read. */
  private static final String GW = "gw-cache";
  /** Short cache settings, so a copy outlives its freshness while the cloud is down within seconds. */
  private static final String GW_SHORT = "gw-cache-short";
  private static final Duration SHORT_FRESH_FOR = Duration.ofSeconds(3);
  private static final String CLOUD = "cloud";
  /** How long one read through a gateway may take at most: the cache's cloud timeout, with room for a loaded machine. */
  private static final Duration READ_LIMIT = CloudCache.Settings.DEFAULT_REQUEST_TIMEOUT.plusSeconds(3);

  @TempDir static Path dir;
  private static Timeline timeline;
  private static LocalCluster cluster;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    timeline = new Timeline(System.out);
    cluster = LocalCluster.start(ComponentLauncher.currentJvm(Fogwise.class.getName(), List.of()), dir.resolve("run"),
        timeline, null);
    cluster.startCloud(CLOUD, List.of());
    cluster.startGateway(GW, List.of());
    cluster.startGateway(GW_SHORT, List.of("--cache-fresh-for", SHORT_FRESH_FOR.toSeconds() + "s",
        "--cache-refresh-after", "1s", "--cache-max-stale", "10m"));
    awaitCloud();
    awaitGateway(GW);
    awaitGateway(GW_SHORT);
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Every test starts with the cloud service running (the stale test kills it). */
  @BeforeEach
  void cloudRunning() throws Exception {
    Process cloud = cluster.process(CLOUD);
    if (cloud == null || !cloud.isAlive()) {
      cluster.startCloud(CLOUD, List.of());
      awaitCloud();
    }
  }

  @Test
  void aPutIsReadThroughTheGatewayAnUpdateInvalidatesItAndADeleteRemovesIt() throws Exception {
    byte[] v1 = "{\"stations\":[\"lisbon\"]}".getBytes(StandardCharsets.UTF_8);
    byte[] v2 = "{\"stations\":[\"lisbon\",\"porto\"]}".getBytes(StandardCharsets.UTF_8);
    String key = "ref/stations";
    assertTrue(put(key, "stations.json", v1).contains("put ref/stations v1 (application/json"));

    DataReply first = read(GW, key);
    assertNotNull(first.item(), first.toString());
    assertEquals(1, first.item().version());
    assertEquals("application/json", first.item().contentType());
    assertArrayEquals(v1, first.item().value());
    assertFalse(first.stale());
    HttpResponse<byte[]> overHttp = http(GW, key);
    assertEquals(200, overHttp.statusCode());
    assertEquals("application/json", overHttp.headers().firstValue("Content-Type").orElse(""));
    assertEquals("1", overHttp.headers().firstValue("X-Fogwise-Version").orElse(""));
    assertEquals("false", overHttp.headers().firstValue("X-Fogwise-Stale").orElse(""));
    assertArrayEquals(v1, overHttp.body());

    // the copy is fresh for 5 min: only the CLI's change announcement can make the gateway re-read it now
    assertTrue(put(key, "stations.json", v2).contains("put ref/stations v2"));
    DataReply second = await("version 2 through " + GW).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> read(GW, key), r -> r.item() != null && r.item().version() == 2);
    assertArrayEquals(v2, second.item().value());
    assertFalse(second.stale());
    HttpResponse<byte[]> secondHttp = http(GW, key);
    assertEquals("2", secondHttp.headers().firstValue("X-Fogwise-Version").orElse(""));
    assertArrayEquals(v2, secondHttp.body());

    CliRun deleted = CliRun.fogwise("cloud", "data", "delete", key, "--nats", cluster.hub().url(),
        "--home", cluster.hub().identity().dir().toString());
    assertEquals(0, deleted.exit(), deleted.toString());
    DataReply gone = await("not found through " + GW).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> read(GW, key), DataReply::isNotFound);
    assertNull(gone.item());
    assertEquals(404, http(GW, key).statusCode());
  }

  @Test
  void whileTheCloudIsDownCachedCopiesAreServedStaleWithTheirAgeAndFreshAgainOnceItIsBack() throws Exception {
    byte[] v1 = "threshold=40\n".getBytes(StandardCharsets.UTF_8);
    byte[] v2 = "threshold=45\n".getBytes(StandardCharsets.UTF_8);
    String key = "cfg/thresholds";
    String neverRead = "cfg/never-read";
    put(key, "thresholds.txt", v1);
    put(neverRead, "never.txt", v1);
    DataReply loaded = read(GW_SHORT, key);
    assertEquals(1, loaded.item().version(), loaded.toString());
    assertFalse(loaded.stale());

    cluster.kill(CLOUD);
    timeline.log("cloud service killed with SIGKILL");

    // once the copy is past its freshness the gateway tries the cloud, finds nobody, and serves the copy stale
    DataReply stale = await("a stale answer from " + GW_SHORT).atMost(SHORT_FRESH_FOR.plusSeconds(20))
        .pollInterval(Duration.ofMillis(250)).until(() -> read(GW_SHORT, key), DataReply::stale);
    assertEquals(1, stale.item().version());
    assertArrayEquals(v1, stale.item().value());
    assertTrue(stale.ageMs() >= SHORT_FRESH_FOR.toMillis(), "older than fresh: " + stale);
    DataReply older = await("the stale copy's age grows").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
        .until(() -> read(GW_SHORT, key), r -> r.stale() && r.ageMs() > stale.ageMs());
    assertEquals(1, older.item().version());
    HttpResponse<byte[]> staleHttp = http(GW_SHORT, key);
    assertEquals(200, staleHttp.statusCode());
    assertEquals("true", staleHttp.headers().firstValue("X-Fogwise-Stale").orElse(""));
    long ageMs = Long.parseLong(staleHttp.headers().firstValue("X-Fogwise-Age-Ms").orElseThrow());
    assertTrue(ageMs >= older.ageMs(), "age " + ageMs + " ms after " + older.ageMs() + " ms");
    assertEquals(ageMs / 1000, Long.parseLong(staleHttp.headers().firstValue("Age").orElseThrow()));
    assertArrayEquals(v1, staleHttp.body());

    // a key the gateway never held: a clear failure, within the cache's cloud timeout, not a hang
    long t0 = System.nanoTime();
    DataReply failed = read(GW_SHORT, neverRead);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    assertNull(failed.item(), failed.toString());
    assertFalse(failed.isNotFound(), failed.toString());
    assertTrue(failed.error().startsWith("cloud data '" + neverRead + "' unavailable"), failed.error());
    assertTrue(tookMs < READ_LIMIT.toMillis(), "answered in " + tookMs + " ms");
    HttpResponse<byte[]> failedHttp = http(GW_SHORT, neverRead);
    assertEquals(504, failedHttp.statusCode());
    assertTrue(new String(failedHttp.body(), StandardCharsets.UTF_8).contains(neverRead));
    timeline.log("stale for %d ms; a never-read key failed in %d ms: %s", ageMs, tookMs, failed.error());

    cluster.startCloud(CLOUD, List.of());
    awaitCloud();
    // the next read past the retry pause asks the cloud again and gets a fresh copy
    DataReply refreshed = await("a fresh answer from " + GW_SHORT).atMost(
            CloudCache.Settings.DEFAULT_RETRY_AFTER_FAILURE.plusSeconds(20)).pollInterval(Duration.ofMillis(250))
        .until(() -> read(GW_SHORT, key), r -> r.item() != null && !r.stale());
    assertEquals(1, refreshed.item().version());
    assertTrue(refreshed.ageMs() < stale.ageMs(), "reloaded: " + refreshed);
    put(key, "thresholds.txt", v2);
    DataReply updated = await("version 2 from " + GW_SHORT).atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100)).until(() -> read(GW_SHORT, key), r -> r.item() != null
            && r.item().version() == 2);
    assertFalse(updated.stale());
    assertArrayEquals(v2, updated.item().value());
    assertEquals(200, http(GW_SHORT, neverRead).statusCode());
  }

  @Test
  void concurrentMissesOfOneKeyReachTheCloudOnce() throws Exception {
    byte[] model = new byte[16 * 1024];
    new java.util.Random(13).nextBytes(model);
    String key = "models/shared";
    put(key, "shared.bin", model);

    // a plain subscriber sees every request on the subject, beside the cloud's queue group
    AtomicInteger cloudReads = new AtomicInteger();
    Dispatcher counter = cluster.nats().createDispatcher(m -> {
      try {
        if (key.equals(MessageCodec.decode(m.getData(), DataRequest.class).key())) {
          cloudReads.incrementAndGet();
        }
      } catch (Exception notARequest) {
        // not ours to judge
      }
    });
    try {
      counter.subscribe(Subjects.CLOUD_DATA_GET);
      cluster.nats().flush(Duration.ofSeconds(5));

      int natsReads = 32;
      int httpReads = 8;
      byte[] request = MessageCodec.encode(new DataRequest(key));
      List<CompletableFuture<Message>> viaNats = new ArrayList<>();
      for (int i = 0; i < natsReads; i++) {
        viaNats.add(cluster.nats().requestWithTimeout(Subjects.cacheGet(GW), request, READ_LIMIT.multipliedBy(2)));
      }
      List<CompletableFuture<HttpResponse<byte[]>>> viaHttp = new ArrayList<>();
      for (int i = 0; i < httpReads; i++) {
        viaHttp.add(HTTP.sendAsync(cacheRequest(GW, key), HttpResponse.BodyHandlers.ofByteArray()));
      }
      for (CompletableFuture<Message> f : viaNats) {
        DataReply r = MessageCodec.decode(f.get(30, TimeUnit.SECONDS).getData(), DataReply.class);
        assertNotNull(r.item(), r.toString());
        assertEquals(1, r.item().version());
        assertArrayEquals(model, r.item().value());
      }
      for (CompletableFuture<HttpResponse<byte[]>> f : viaHttp) {
        HttpResponse<byte[]> r = f.get(30, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        assertArrayEquals(model, r.body());
      }
      // every answer is in, so the cloud request behind them has been seen; any second one would show here
      await("one cloud read of " + key).during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
          .until(() -> cloudReads.get() == 1);
      timeline.log("%d concurrent reads (%d over NATS, %d over HTTP) of an uncached key: %d cloud read",
          natsReads + httpReads, natsReads, httpReads, cloudReads.get());
    } finally {
      // a plain subscriber counts as a listener: left behind, it would turn "no cloud" into timeouts
      cluster.nats().closeDispatcher(counter);
    }
  }

  private static String put(String key, String fileName, byte[] content) throws Exception {
    Path file = Files.write(dir.resolve(fileName), content);
    CliRun r = CliRun.fogwise("cloud", "data", "put", key, file.toString(), "--nats", cluster.hub().url(),
        "--home", cluster.hub().identity().dir().toString());
    assertEquals(0, r.exit(), r.toString());
    return r.out();
  }

  /** A device's read over NATS: the gateway must answer within the cache's cloud timeout. */
  private static DataReply read(String gatewayId, String key) throws Exception {
    Message m = cluster.nats().request(Subjects.cacheGet(gatewayId), MessageCodec.encode(new DataRequest(key)),
        READ_LIMIT);
    assertNotNull(m, "gateway " + gatewayId + " did not answer a read of '" + key + "' within " + READ_LIMIT);
    return MessageCodec.decode(m.getData(), DataReply.class);
  }

  private static HttpResponse<byte[]> http(String gatewayId, String key) throws Exception {
    return HTTP.send(cacheRequest(gatewayId, key), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static HttpRequest cacheRequest(String gatewayId, String key) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.httpPort(gatewayId) + "/cache/" + key))
        .timeout(READ_LIMIT.multipliedBy(2)).GET().build();
  }

  /** The cloud service answers (a not-found is an answer). */
  private static void awaitCloud() {
    byte[] probe = MessageCodec.encode(new DataRequest("probe/cloud"));
    await("the cloud service answers").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .failFast("the cloud service exited; see " + cluster.runDir().resolve(CLOUD + ".log"),
            () -> !cluster.process(CLOUD).isAlive())
        .ignoreExceptions().until(() -> {
          Message m = cluster.nats().requestWithTimeout(Subjects.CLOUD_DATA_GET, probe, Duration.ofSeconds(2))
              .get(3, TimeUnit.SECONDS);
          return MessageCodec.decode(m.getData(), DataReply.class).isNotFound();
        });
  }

  /** The gateway answers cache reads over NATS and HTTP. */
  private static void awaitGateway(String gatewayId) {
    await("gateway " + gatewayId + " serves its cache").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
        .failFast("gateway " + gatewayId + " exited; see " + cluster.runDir().resolve(gatewayId + ".log"),
            () -> !cluster.process(gatewayId).isAlive())
        .ignoreExceptions().until(() -> {
          Message m = cluster.nats().requestWithTimeout(Subjects.cacheGet(gatewayId),
              MessageCodec.encode(new DataRequest("probe/gateway")), Duration.ofSeconds(3)).get(4, TimeUnit.SECONDS);
          MessageCodec.decode(m.getData(), DataReply.class);
          return http(gatewayId, "probe/gateway").statusCode() == 404;
        });
  }
}
