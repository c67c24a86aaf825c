package io.fogwise.gateway.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.http.ApiTokens.Entry;
import io.fogwise.gateway.http.ApiTokens.Role;
import io.fogwise.gateway.http.GatewayHttpServer.Settings;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.time.ManualClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's files are the only paths served without a token, and hold no data; the event
 * stream needs a token and carries the feed's events and heartbeat rates as server-sent events.
 */
@ExtendWith(VertxExtension.class)
class DashboardServingTest {
  private final ManualClock clock = new ManualClock(1_700_000_000_000L);
  private final LiveFeed feed = LiveFeed.create(clock);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String ops = ApiTokens.newToken();
  private final EngineAccess noEngine = new EngineAccess() {
    @Override
    public <T> Future<T> query(java.util.function.Function<GatewayEngine, T> q) {
      return Future.failedFuture(new IllegalStateException("no engine in this test"));
    }
  };
  @TempDir Path dir;
  private GatewayHttpServer server;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    Path tokens = dir.resolve("api-tokens");
    ApiTokens.add(tokens, Entry.of("ops", Role.OPERATOR, ops));
    server = GatewayHttpServer.start(vertx, 0, Settings.builder().apiTokens(tokens).build(), clock, noEngine, null,
        new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), null, null, feed)
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void thePageAndItsFilesAreServedWithoutATokenAndNothingElseIs() throws Exception {
    HttpResponse<String> root = get("/", null);
    assertEquals(302, root.statusCode());
    assertEquals("/dashboard/", root.headers().firstValue("Location").orElseThrow());
    HttpResponse<String> page = get("/dashboard/", null);
    assertEquals(200, page.statusCode());
    assertTrue(page.body().contains("<script src=\"dashboard.js\""), page.body());
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElseThrow().startsWith("default-src 'self'"));
    assertEquals("DENY", page.headers().firstValue("X-Frame-Options").orElseThrow());
    for (String file : List.of("dashboard.js", "dashboard.css", "uPlot.iife.min.js", "uPlot.min.css")) {
      HttpResponse<String> r = get("/dashboard/" + file, null);
      assertEquals(200, r.statusCode(), file);
      assertTrue(r.body().length() > 100, file);
    }
    assertTrue(get("/dashboard/uPlot.iife.min.js", null).body().contains("uPlot"), "the library from its WebJar");
    for (String path : List.of("/dashboard/nope.js", "/dashboard/../devices", "/devices", "/states", "/events",
        "/events/stream", "/health")) {
      assertEquals(401, get(path, null).statusCode(), path);
    }
    assertEquals(401, send("DELETE", "/services/x", null).statusCode());
  }

  @Test
  void theStreamCarriesEventsAsTheyAreFedAndHeartbeatRatesAndLetsGoOfAClosedClient() throws Exception {
    HttpResponse<InputStream> stream = http.send(HttpRequest.newBuilder(uri("/events/stream"))
        .header("Authorization", "Bearer " + ops).build(), HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, stream.statusCode());
    assertTrue(stream.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
    FanOutFeed fanOut = (FanOutFeed) feed;
    assertEquals(1, fanOut.subscribers());
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream.body(), StandardCharsets.UTF_8))) {
      assertEquals(": fogwise gateway events", lines.readLine());
      assertEquals("", lines.readLine());
      feed.event(new AdaptationEvent("gw-1", 7, clock.wallMillis(), AdaptationEvent.Type.DEVICE_LOST, "e1", null, 0,
          null, "device e1 was lost", Map.of("silenceMs", "812")));
      assertEquals("event: adaptation", lines.readLine());
      assertEquals("id: 7", lines.readLine());
      String data = lines.readLine();
      assertTrue(data.startsWith("data: {\"gatewayId\":\"gw-1\",\"seq\":7,"), data);
      assertTrue(data.contains("\"type\":\"DEVICE_LOST\"") && data.contains("\"silenceMs\":\"812\""), data);
      assertEquals("", lines.readLine());

      feed.heartbeat();
      feed.heartbeat();
      feed.heartbeat();
      clock.advance(Duration.ofMillis(1000));
      feed.sampleRates();
      assertEquals("event: rates", lines.readLine());
      assertEquals("data: {\"atMillis\":1700000001000,\"intervalMs\":1000,\"heartbeats\":3}", lines.readLine());
      assertEquals("", lines.readLine());
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> fanOut.subscribers() == 0);
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    return send("GET", path, token);
  }

  private HttpResponse<String> send(String method, String path, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).method(method, HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofSeconds(5));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }
}
