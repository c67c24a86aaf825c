package io.fogwise.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.http.ApiTokens.Entry;
import io.fogwise.gateway.http.ApiTokens.Role;
import io.fogwise.gateway.http.GatewayHttpServer.Settings;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.time.ManualClock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may call the HTTP API on loopback: anyone without a tokens file; with one, a known bearer
 * token of a role that allows the method, on every route. No engine: routes that need one answer
 * 500, which shows a request got past authentication.
 */
@ExtendWith(VertxExtension.class)
class HttpApiAuthTest {
  private static final String NO_ENGINE = "no engine in this test";

  private final ManualClock clock = new ManualClock();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String ops = ApiTokens.newToken();
  private final String ci = ApiTokens.newToken();
  private final HealthSource health = () -> new HealthSource.Health("UP", null, "CONNECTED", 0, List.of(), null, null);
  /** Applies queries to no engine: /metrics (which reads only the registry) works, the rest fail. */
  private final EngineAccess engine = new EngineAccess() {
    @Override
    public <T> Future<T> query(Function<GatewayEngine, T> q) {
      try {
        return Future.succeededFuture(q.apply(null));
      } catch (NullPointerException e) {
        return Future.failedFuture(new IllegalStateException(NO_ENGINE));
      }
    }
  };
  @TempDir Path dir;
  private Path tokensFile;
  private Vertx vertx;
  private GatewayHttpServer server;

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    tokensFile = dir.resolve("api-tokens");
    ApiTokens.add(tokensFile, Entry.of("ops", Role.OPERATOR, ops));
    ApiTokens.add(tokensFile, Entry.of("ci", Role.READ, ci));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      await(server.close());
    }
  }

  @Test
  void withoutATokensFileLoopbackIsServedToAnyLocalCaller() throws Exception {
    server = start(Settings.DEFAULT);
    assertEquals("127.0.0.1", server.host());
    assertEquals("http://127.0.0.1:" + server.port() + "/", server.url());
    assertEquals(200, send("GET", "/metrics", null).statusCode());
    assertEquals(200, send("GET", "/health", null).statusCode());
    HttpResponse<String> delete = send("DELETE", "/services/weather", null);
    assertEquals(500, delete.statusCode());
    assertEquals(NO_ENGINE, json(delete).get("error").asText());
  }

  @Test
  void withATokensFileEveryRouteNeedsAKnownBearerTokenEvenOnLoopback() throws Exception {
    server = start(Settings.builder().apiTokens(tokensFile).build());
    for (String path : List.of("/health", "/metrics", "/devices", "/services", "/events", "/cache/a", "/nope")) {
      HttpResponse<String> r = send("GET", path, null);
      assertEquals(401, r.statusCode(), path);
      assertEquals("Bearer realm=\"fogwise\"", r.headers().firstValue("www-authenticate").orElseThrow(), path);
      assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow(), path);
    }
    JsonNode missing = json(send("DELETE", "/services/weather", null));
    assertEquals(false, missing.get("ok").asBoolean());
    assertEquals("DELETE /services/weather needs an API token: send 'Authorization: Bearer <token>'; "
        + ApiAuth.HOW_TO_GET_ONE, missing.get("error").asText());

    HttpResponse<String> unknown = send("GET", "/metrics", ApiTokens.newToken());
    assertEquals(401, unknown.statusCode());
    assertTrue(json(unknown).get("error").asText().startsWith("the API token presented is not one this gateway accepts"));
    assertEquals(401, send("GET", "/metrics", ApiTokens.hash(ci)).statusCode(), "the hash is not the token");
    assertEquals(401, sendRaw("GET", "/metrics", "Basic " + ci).statusCode());
    assertEquals(200, sendRaw("GET", "/metrics", "bearer  " + ci).statusCode(), "the scheme is case-insensitive");
  }

  @Test
  void aReadTokenMayOnlyGetAndAnOperatorTokenMayDoAnything() throws Exception {
    server = start(Settings.builder().apiTokens(tokensFile).build());
    HttpResponse<String> metrics = send("GET", "/metrics", ci);
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("# HELP") || metrics.body().isEmpty(), metrics.body());
    assertEquals(200, send("GET", "/health", ci).statusCode());
    assertEquals(404, send("GET", "/nope", ci).statusCode(), "past authentication, an unknown path is a 404");

    HttpResponse<String> delete = send("DELETE", "/services/weather", ci);
    assertEquals(403, delete.statusCode());
    assertEquals("DELETE /services/weather needs role operator; token 'ci' has role read (GET only)",
        json(delete).get("error").asText());
    assertEquals(403, send("POST", "/services", ci, "{}").statusCode());
    assertEquals(403, send("PUT", "/services", ci, "{}").statusCode(), "403 before 405: nothing learned without a role");

    assertEquals(200, send("GET", "/metrics", ops).statusCode());
    HttpResponse<String> opsDelete = send("DELETE", "/services/weather", ops);
    assertEquals(500, opsDelete.statusCode());
    assertEquals(NO_ENGINE, json(opsDelete).get("error").asText());
    assertEquals(400, send("POST", "/services", ops, "{}").statusCode(), "validated like any apply");
  }

  @Test
  void aRevokedTokenIsRefusedOnceTheGatewaysClockHasPassedTheCheckInterval() throws Exception {
    server = start(Settings.builder().apiTokens(tokensFile).build());
    assertEquals(200, send("GET", "/metrics", ci).statusCode());
    assertTrue(ApiTokens.remove(tokensFile, "ci"));
    assertEquals(200, send("GET", "/metrics", ci).statusCode(), "the file is looked at once per interval");
    clock.advance(TokenFile.CHECK_INTERVAL);
    assertEquals(401, send("GET", "/metrics", ci).statusCode());
    assertEquals(200, send("GET", "/metrics", ops).statusCode());
  }

  @Test
  void aTokensFileBrokenWhileServingRefusesEveryRequestWith503() throws Exception {
    server = start(Settings.builder().apiTokens(tokensFile).build());
    Files.writeString(tokensFile, "ops operator\n");
    clock.advance(TokenFile.CHECK_INTERVAL);
    HttpResponse<String> r = send("GET", "/health", ops);
    assertEquals(503, r.statusCode());
    assertTrue(json(r).get("error").asText().startsWith("this gateway cannot read its API tokens file"), r.body());
    assertTrue(!r.body().contains(tokensFile.toString()), "the file's path is for the log, not for callers");
  }

  @Test
  void aMalformedTokensFileStopsTheServerFromStartingNamingFileAndLine() throws Exception {
    Files.writeString(tokensFile, "# tokens\nops superuser " + ApiTokens.hash(ops) + "\n");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> start(Settings.builder().apiTokens(tokensFile).build()));
    assertEquals(tokensFile + ":2: unknown role 'superuser'; roles are read and operator", e.getCause().getMessage());
    ExecutionException none = assertThrows(ExecutionException.class,
        () -> start(Settings.builder().apiTokens(dir.resolve("missing")).build()));
    assertTrue(none.getCause().toString().contains("missing"), none.getCause().toString());
  }

  @Test
  void beyondLoopbackWithoutTokensAndTlsTheServerDoesNotStart() {
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> start(Settings.builder().host("0.0.0.0").build()));
    assertTrue(e.getCause() instanceof IllegalArgumentException);
    assertTrue(e.getCause().getMessage().contains("missing --api-tokens FILE, --http-tls-cert FILE, --http-tls-key FILE"),
        e.getCause().getMessage());
  }

  private GatewayHttpServer start(Settings settings) throws Exception {
    return await(GatewayHttpServer.start(vertx, 0, settings, clock, engine, health, registry, null, null));
  }

  private HttpResponse<String> send(String method, String path, String token) throws Exception {
    return send(method, path, token, null);
  }

  private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> sendRaw(String method, String path, String authorization) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody())
        .header("Authorization", authorization).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return MessageCodec.mapper().readTree(r.body());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }
}
