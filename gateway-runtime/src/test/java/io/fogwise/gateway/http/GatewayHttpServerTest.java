package io.fogwise.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.core.metrics.GatewayMetrics;
import io.fogwise.gateway.core.orchestrator.CommandOrchestrator;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.rules.host.RuleSet;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every route of the HTTP API against a real engine with the built-in rules, running on a
 * worker context as in the gateway, driven by a manual clock. Requests are real HTTP.
 */
@ExtendWith(VertxExtension.class)
class GatewayHttpServerTest {
  private static final String WEATHER = """
      {"name":"weather","kind":"publisher","replicas":1,"placement":{"layer":"EDGE","labels":{"pub":"true"}},
       "config":{"rateHz":"10"}}""";

  private static RuleSet packs;

  private final ManualClock clock = new ManualClock();
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final GatewayMetrics metrics = new io.fogwise.gateway.metrics.MicrometerGatewayMetrics(registry, "gw");
  private final AtomicInteger engineCalls = new AtomicInteger();
  private final AtomicInteger engineCallsOffTheDecisionThread = new AtomicInteger();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Vertx vertx;
  private EngineHost host;
  private EngineAccess access;
  private GatewayHttpServer server;

  @BeforeAll
  static void compile() throws Exception {
    packs = RuleSet.compile("global v0", RuleSet.builtInPacks());
  }

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    this.vertx = vertx;
    host = new EngineHost();
    await(vertx.deployVerticle(host, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    EngineAccess direct = EngineAccess.onContext(host.decisionContext, () -> host.engine);
    access = new EngineAccess() {
      @Override
      public <T> Future<T> query(Function<GatewayEngine, T> q) {
        return direct.query(e -> {
          engineCalls.incrementAndGet();
          if (!Context.isOnWorkerThread() || Vertx.currentContext() != host.decisionContext) {
            engineCallsOffTheDecisionThread.incrementAndGet();
          }
          return q.apply(e);
        });
      }
    };
    server = await(GatewayHttpServer.start(vertx, 0, access, registry));
  }

  @AfterEach
  void tearDown() throws Exception {
    await(server.close());
    assertEquals(0, engineCallsOffTheDecisionThread.get(), "every engine call ran on the decision context");
  }

  @Test
  void healthReportsTheGatewayStatus() throws Exception {
    HttpResponse<String> r = get("/health");
    assertEquals(200, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
    JsonNode body = json(r);
    assertEquals("UP", body.get("status").asText());
    assertEquals("gw", body.get("gatewayId").asText());
    assertEquals("global v0", body.get("rules").asText());
    assertEquals(0, body.get("devices").get("ALIVE").asInt());
    assertEquals(0, body.get("services").asInt());
    assertTrue(engineCalls.get() > 0);
  }

  @Test
  void healthIsDownWithA503WhileTheEngineIsNotRunning() throws Exception {
    GatewayHttpServer noEngine =
        await(GatewayHttpServer.start(vertx, 0, EngineAccess.onContext(host.decisionContext, () -> null), registry));
    try {
      HttpResponse<String> r = send(HttpRequest.newBuilder(uri(noEngine, "/health")).GET());
      assertEquals(503, r.statusCode());
      assertEquals("DOWN", json(r).get("status").asText());
      assertTrue(json(r).get("error").asText().contains("not running"), r.body());
    } finally {
      await(noEngine.close());
    }
  }

  @Test
  void devicesListsWhatHeartbeatsAndTelemetryReported() throws Exception {
    heartbeat("e2", Layer.EDGE);
    heartbeat("e1", Layer.EDGE);
    onEngine(e -> {
      e.onTelemetry(new Telemetry("e1", "gw", clock.wallMillis(), 0.25, 1, 2, 80.0, 41.5, Map.of()));
      return null;
    });

    JsonNode devices = json(get("/devices"));
    assertEquals(2, devices.size());
    JsonNode e1 = devices.get(0);
    assertEquals("e1", e1.get("id").asText(), "sorted by id");
    assertEquals("EDGE", e1.get("layer").asText());
    assertEquals("default", e1.get("deviceClass").asText());
    assertEquals("true", e1.get("labels").get("pub").asText());
    assertEquals("ALIVE", e1.get("state").asText());
    assertTrue(e1.get("phi").isNumber());
    assertTrue(e1.get("silenceMs").isNumber());
    assertEquals(0.25, e1.get("cpuLoad").asDouble());
    assertEquals(41.5, e1.get("temperatureC").asDouble());
    assertEquals(80.0, e1.get("batteryPct").asDouble());
    assertEquals(0, e1.get("instances").asInt());
    assertFalse(devices.get(1).has("cpuLoad"), "no telemetry, no reading");
    assertEquals(2, json(get("/health")).get("devices").get("ALIVE").asInt());
  }

  @Test
  void anAppliedServiceIsListedWithItsPlacement() throws Exception {
    heartbeat("e1", Layer.EDGE);
    HttpResponse<String> applied = post("/services", WEATHER);
    assertEquals(200, applied.statusCode(), applied.body());
    JsonNode resp = json(applied);
    assertTrue(resp.get("ok").asBoolean());
    assertEquals("weather", resp.get("services").get(0).get("name").asText());

    onEngine(e -> {
      e.tick();
      return null;
    });
    JsonNode services = json(get("/services"));
    assertEquals(1, services.size());
    JsonNode weather = services.get(0);
    assertEquals("weather", weather.get("spec").get("name").asText());
    assertEquals("EDGE", weather.get("spec").get("placement").get("layer").asText());
    JsonNode placement = weather.get("placements").get(0);
    assertEquals("weather", placement.get("service").asText());
    assertEquals("e1", placement.get("deviceId").asText());
    assertEquals(1, placement.get("epoch").asLong());
    assertEquals("STARTING", placement.get("state").asText());
    assertEquals(List.of("e1"), host.orchestrator.startedOn);

    HttpResponse<String> one = get("/services/weather");
    assertEquals(200, one.statusCode());
    assertEquals("publisher", json(one).get("services").get(0).get("kind").asText());
    JsonNode state = json(one).get("states").get(0);
    assertEquals("STARTING", state.get("phase").asText(), one.body());
    assertEquals(0, state.get("ready").asInt());
    JsonNode instance = state.get("placements").get(0);
    assertEquals("e1", instance.get("deviceId").asText(), one.body());
    assertEquals(1, instance.get("epoch").asLong());
    assertEquals("STARTING", instance.get("state").asText());
    assertEquals(false, instance.get("ready").asBoolean());
    assertTrue(instance.get("reason").asText().startsWith("not reported running yet"), one.body());
    assertEquals(404, get("/services/rain").statusCode());
  }

  @Test
  void anInvalidSpecIsRefusedWithTheFieldPathAndNothingIsApplied() throws Exception {
    assertRefused(post("/services", WEATHER.replace("\"replicas\":1", "\"replicas\":-1")), "replicas", "invalid-field");
    assertRefused(post("/services", WEATHER.replace("\"replicas\":1", "\"colour\":\"red\"")), "colour", "unknown-field");
    assertRefused(post("/services", WEATHER.replace("EDGE", "MOON")), "placement.layer", "unknown-type");
    assertRefused(post("/services", WEATHER.replace("\"weather\"", "\"bad name\"")), "name", "invalid-field");
    HttpResponse<String> notJson = post("/services", "[1,2]");
    assertEquals(400, notJson.statusCode());
    assertEquals("malformed", json(notJson).get("reason").asText());
    HttpResponse<String> empty = post("/services", "");
    assertEquals(400, empty.statusCode());
    assertFalse(json(empty).get("ok").asBoolean());

    assertEquals(0, json(get("/services")).size());
    assertEquals(0, engineCalls.get() - 1, "only the listing reached the engine");
  }

  @Test
  void deleteRemovesAServiceAndAnUnknownOneIs404() throws Exception {
    assertEquals(200, post("/services", WEATHER).statusCode());
    HttpResponse<String> deleted = send(HttpRequest.newBuilder(uri("/services/weather")).DELETE());
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertTrue(json(deleted).get("ok").asBoolean());
    assertEquals(0, json(get("/services")).size());

    HttpResponse<String> again = send(HttpRequest.newBuilder(uri("/services/weather")).DELETE());
    assertEquals(404, again.statusCode());
    assertEquals("name", json(again).get("field").asText());
    assertTrue(json(again).get("error").asText().contains("weather"));

    HttpResponse<String> badName = send(HttpRequest.newBuilder(uri("/services/bad%20name")).DELETE());
    assertEquals(400, badName.statusCode());
    assertEquals("name", json(badName).get("field").asText());
  }

  @Test
  void moveValidatesItsBodyBeforeAskingTheEngine() throws Exception {
    assertRefused(post("/services/weather/move", "{\"toLayer\":\"MOON\"}"), "toLayer", "unknown-type");
    assertRefused(post("/services/weather/move", "{\"toRack\":\"r1\"}"), "toRack", "unknown-field");
    assertRefused(post("/services/weather/move", "{\"toLayer\":\"EDGE\",\"toDevice\":\"e1\"}"), "toLayer", "missing-field");
    assertRefused(post("/services/weather/move", "{}"), "toLayer", "missing-field");
    assertEquals(0, engineCalls.get());

    // a well-formed move reaches the engine; whether it supports MOVE yet, an unknown service is no success
    HttpResponse<String> r = post("/services/weather/move", "{\"toLayer\":\"EDGE\"}");
    assertNotEquals(200, r.statusCode(), r.body());
    assertFalse(json(r).get("ok").asBoolean());
    assertEquals(1, engineCalls.get());
  }

  @Test
  void eventsAreTheMostRecentNewestLast() throws Exception {
    heartbeat("e1", Layer.EDGE);
    heartbeat("e2", Layer.EDGE);
    assertEquals(200, post("/services", WEATHER).statusCode());

    JsonNode all = json(get("/events"));
    assertEquals(3, all.size());
    assertEquals("DEVICE_JOINED", all.get(0).get("type").asText());
    assertEquals("e1", all.get(0).get("deviceId").asText());
    assertEquals("SERVICE_APPLIED", all.get(2).get("type").asText());
    assertTrue(all.get(1).get("seq").asLong() < all.get(2).get("seq").asLong());

    JsonNode last = json(get("/events?limit=1"));
    assertEquals(1, last.size());
    assertEquals("SERVICE_APPLIED", last.get(0).get("type").asText());
    assertEquals(3, json(get("/events?limit=9999")).size());
    assertRefused(get("/events?limit=0"), "limit", "invalid-field");
    assertRefused(get("/events?limit=ten"), "limit", "invalid-field");
  }

  @Test
  void bodiesOverTheMessageLimitAre413() throws Exception {
    String big = "{\"name\":\"weather\",\"kind\":\"publisher\",\"config\":{\"pad\":\""
        + "x".repeat(MessageCodec.MAX_MESSAGE_BYTES) + "\"}}";
    HttpResponse<String> r = post("/services", big);
    assertEquals(413, r.statusCode());
    assertFalse(json(r).get("ok").asBoolean());
    assertTrue(json(r).get("error").asText().contains(Integer.toString(MessageCodec.MAX_MESSAGE_BYTES)));
    assertEquals(0, engineCalls.get());
  }

  @Test
  void unknownRoutesAndMethodsAnswerJson() throws Exception {
    HttpResponse<String> r = get("/nope");
    assertEquals(404, r.statusCode());
    assertEquals("application/json", r.headers().firstValue("content-type").orElseThrow());
    assertTrue(json(r).get("error").asText().contains("GET /nope"), r.body());
    HttpResponse<String> put = send(HttpRequest.newBuilder(uri("/health")).PUT(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(405, put.statusCode());
    assertFalse(json(put).get("ok").asBoolean());
  }

  @Test
  void metricsAreScrapedInPrometheusTextFormat() throws Exception {
    heartbeat("e1", Layer.EDGE);
    metrics.rejected("service", RejectReason.UNKNOWN_FIELD);

    HttpResponse<String> r = get("/metrics");
    assertEquals(200, r.statusCode());
    assertEquals("text/plain; version=0.0.4; charset=utf-8", r.headers().firstValue("content-type").orElseThrow());
    String text = r.body();
    assertTrue(text.contains("# TYPE fogwise_devices gauge"), text);
    assertTrue(text.contains("fogwise_devices{gateway=\"gw\",state=\"ALIVE\"} 1.0"), text);
    assertTrue(text.contains("fogwise_rejected_messages_total{gateway=\"gw\",reason=\"unknown-field\",subject=\"service\"} 1.0"),
        text);
    assertTrue(text.contains("fogwise_detections_total{gateway=\"gw\"} 0.0"), text);
  }

  // --- helpers

  private void heartbeat(String deviceId, Layer layer) throws Exception {
    Heartbeat hb = new Heartbeat(deviceId, "gw", 1, clock.wallMillis(), 200, layer, null, Map.of("pub", "true"), List.of());
    onEngine(e -> {
      e.onHeartbeat(hb, clock.nanos());
      return null;
    });
  }

  private <T> T onEngine(Function<GatewayEngine, T> q) throws Exception {
    return await(access.query(q));
  }

  private static void assertRefused(HttpResponse<String> r, String field, String reason) throws IOException {
    assertEquals(400, r.statusCode(), r.body());
    JsonNode body = json(r);
    assertFalse(body.get("ok").asBoolean());
    assertEquals(field, body.get("field").asText(), r.body());
    assertEquals(reason, body.get("reason").asText(), r.body());
    assertTrue(body.get("error").asText().contains(field), r.body());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).header("content-type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return uri(server, path);
  }

  private static URI uri(GatewayHttpServer s, String path) {
    return URI.create("http://127.0.0.1:" + s.port() + path);
  }

  private static JsonNode json(HttpResponse<String> r) throws IOException {
    return MessageCodec.mapper().readTree(r.body());
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  /** The engine on a worker context of its own, as the gateway's verticle runs it. */
  private final class EngineHost extends VerticleBase {
    final RecordingOrchestrator orchestrator = new RecordingOrchestrator();
    volatile Context decisionContext;
    volatile GatewayEngine engine;

    @Override
    public Future<?> start() {
      decisionContext = context;
      engine = GatewayEngine.builder().gatewayId("gw").clock(clock).rules(packs).orchestrator(orchestrator)
          .decisionThread(task -> context.runOnContext(v -> task.run()))
          .metrics(metrics).build();
      return Future.succeededFuture();
    }

    @Override
    public Future<?> stop() {
      engine.close();
      return Future.succeededFuture();
    }
  }

  /** Accepts every command and remembers where starts went. */
  private static final class RecordingOrchestrator extends CommandOrchestrator {
    RecordingOrchestrator() {
      super("test");
    }

    final List<String> startedOn = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    protected CompletionStage<CommandReply> send(String deviceId, Command command) {
      if (command.action() == Command.Action.START) {
        startedOn.add(deviceId);
      }
      return CompletableFuture.completedFuture(CommandReply.ok(command.requestId(), deviceId));
    }

    @Override
    public String name() {
      return "recording";
    }
  }
}
