package io.fogwise.gateway.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.cache.CacheEndpoint;
import io.fogwise.gateway.cache.CloudCache;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ProtocolViolation;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.TimeoutHandler;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The routes of {@link GatewayHttpServer}, on an event loop of their own. */
final class HttpApiVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApiVerticle.class);

  static final String JSON = "application/json";
  static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  static final int DEFAULT_EVENTS = 100;
  static final int MAX_EVENTS = 500;
  /** How long a request may wait for the engine before it is answered 503. */
  static final long REQUEST_TIMEOUT_MS = 10_000;
  static final String CACHE_PREFIX = "/cache/";
  /** The server-sent event stream of the gateway's events and heartbeat rates. */
  static final String STREAM_PATH = "/events/stream";
  /** The cached item's version. */
  static final String VERSION_HEADER = "X-Fogwise-Version";
  /** {@code true} when the cloud could not refresh the copy served (stale-if-error). */
  static final String STALE_HEADER = "X-Fogwise-Stale";
  /** The copy's age in milliseconds ({@code Age} has it in whole seconds). */
  static final String AGE_MS_HEADER = "X-Fogwise-Age-Ms";

  private final int requestedPort;
  private final GatewayHttpServer.Settings settings;
  /** The API tokens file; null when no token is asked for. */
  private final TokenFile tokens;
  private final EngineAccess engine;
  private final HealthSource healthSource;
  private final PrometheusMeterRegistry registry;
  private final CloudCache cache;
  private final MessageRejections rejections;
  private final LiveFeed feed;
  private volatile HttpServer server;
  private DashboardAssets dashboard;

  HttpApiVerticle(int port, GatewayHttpServer.Settings settings, TokenFile tokens, EngineAccess engine,
      HealthSource health, PrometheusMeterRegistry registry, CloudCache cache, MessageRejections rejections,
      LiveFeed feed) {
    this.requestedPort = port;
    this.feed = feed;
    this.settings = settings;
    this.tokens = tokens;
    this.engine = engine;
    this.healthSource = health;
    this.registry = registry;
    this.cache = cache;
    this.rejections = rejections;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions().setHost(settings.host()).setPort(requestedPort);
    if (settings.tls()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(settings.tlsCert.toString()).setKeyPath(settings.tlsKey.toString()));
    }
    return vertx.executeBlocking(DashboardAssets::load).compose(assets -> {
      dashboard = assets;
      return vertx.createHttpServer(options).requestHandler(router()).listen();
    })
        .onSuccess(s -> {
          server = s;
          LOG.info("HTTP API listening on {} port {} ({}, {})", settings.host(), s.actualPort(),
              settings.tls() ? "TLS" : "plain HTTP",
              tokens == null ? "no API tokens asked for" : "API tokens from " + tokens.path());
        });
  }

  int actualPort() {
    return server.actualPort();
  }

  private Router router() {
    Router router = Router.router(vertx);
    // the dashboard's static files carry no data and no control: served before the token check,
    // so a browser can load the page that then asks for a token (see DashboardAssets)
    router.get("/").handler(rc -> rc.response().setStatusCode(302)
        .putHeader(HttpHeaders.LOCATION, DashboardAssets.PREFIX).end());
    router.get(DashboardAssets.PREFIX + "*").handler(dashboard::serve);
    if (tokens != null) {
      router.route().handler(new ApiAuth(tokens)); // every other route, unknown paths included
    }
    router.get(STREAM_PATH).handler(this::stream); // open for as long as the page is: no request timeout
    router.route().handler(TimeoutHandler.create(REQUEST_TIMEOUT_MS));
    // file uploads off: nothing here accepts files, and the handler would create a directory
    BodyHandler body = BodyHandler.create(false).setBodyLimit(MessageCodec.MAX_MESSAGE_BYTES);
    router.get("/health").handler(this::health);
    router.get("/devices").handler(rc -> query(rc, Views::devices, ok()));
    router.get("/services").handler(rc -> query(rc, Views::services, ok()));
    router.post("/services").handler(body).handler(this::applyService);
    router.get("/services/:name").handler(this::describeService);
    router.delete("/services/:name").handler(rc -> byName(rc, ServiceRequest::delete));
    router.post("/services/:name/move").handler(body).handler(this::moveService);
    router.get("/events").handler(this::events);
    router.get("/states").handler(rc -> query(rc,
        e -> e.handle(ServiceRequest.read(ServiceRequest.Op.DESCRIBE, null)).states(), ok()));
    router.get("/metrics").handler(this::metrics);
    router.get("/cache/*").handler(this::cacheRead);
    for (int code : new int[] {400, 404, 405, 413, 500, 503}) {
      router.errorHandler(code, this::failed);
    }
    return router;
  }

  private void health(RoutingContext rc) {
    if (healthSource == null) { // no published snapshot to read: ask the engine
      query(rc, GatewayEngine::status, (c, status) -> json(c, 200, health("UP", status)),
          err -> json(rc, 503, health("DOWN", null).put("error", String.valueOf(err.getMessage()))));
      return;
    }
    // answered here, on the event loop, from what the decision thread published: never waits for it
    HealthSource.Health h = healthSource.now();
    ObjectNode node = health(h.status(), h.gateway());
    node.put("nats", h.nats());
    node.put("lastTickAgeMs", h.lastTickAgeMs());
    node.set("degraded", MessageCodec.mapper().valueToTree(h.degraded()));
    if (h.detectionHeld() != null) {
      node.put("detectionHeld", h.detectionHeld());
    }
    if (h.error() != null) {
      node.put("error", h.error());
    }
    if (h.lease() != null) {
      node.set("lease", MessageCodec.mapper().valueToTree(h.lease()));
    }
    json(rc, "DOWN".equals(h.status()) ? 503 : 200, node);
  }

  private static ObjectNode health(String state, GatewayStatus status) {
    ObjectNode node = MessageCodec.mapper().createObjectNode().put("status", state);
    if (status != null) {
      node.setAll((ObjectNode) MessageCodec.mapper().valueToTree(status));
    }
    return node;
  }

  private void applyService(RoutingContext rc) {
    ServiceSpec spec;
    try {
      spec = MessageCodec.decode(body(rc), ServiceSpec.class);
    } catch (RejectedMessageException e) {
      refuse(rc, e.reason(), e.field(), e.getMessage());
      return;
    }
    query(rc, e -> e.handle(ServiceRequest.apply(spec)), (c, resp) -> json(c, resp.ok() ? 200 : 400, resp));
  }

  private void moveService(RoutingContext rc) {
    Views.MoveRequest move;
    try {
      move = MessageCodec.decode(body(rc), Views.MoveRequest.class);
    } catch (RejectedMessageException e) {
      refuse(rc, e.reason(), e.field(), e.getMessage());
      return;
    }
    byName(rc, name -> new ServiceRequest(ServiceRequest.Op.MOVE, null, name, move.toLayer(), move.toDevice()));
  }

  /** A request about the service named in the path; an unknown name is a 404. */
  private void byName(RoutingContext rc, Function<String, ServiceRequest> request) {
    ServiceRequest req;
    try {
      req = request.apply(rc.pathParam("name"));
    } catch (ProtocolViolation v) {
      refuse(rc, v.reason(), v.field(), v.getMessage());
      return;
    }
    query(rc, e -> e.handle(req), (c, resp) -> json(c, statusOf(resp), resp));
  }

  /**
   * {@code GET /services/{name}}: the spec ({@code services}, as before) and its state
   * ({@code states}: phase, ready, reason, and each placement's device, epoch, state, readiness).
   */
  private void describeService(RoutingContext rc) {
    ServiceRequest req;
    try {
      req = ServiceRequest.read(ServiceRequest.Op.DESCRIBE, rc.pathParam("name"));
    } catch (ProtocolViolation v) {
      refuse(rc, v.reason(), v.field(), v.getMessage());
      return;
    }
    query(rc, e -> {
      ServiceResponse r = e.handle(req);
      return !r.ok() ? r : new ServiceResponse(true, null, null, List.of(r.states().get(0).spec()), null, null,
          r.states(), List.of(), List.of(), null);
    }, (c, resp) -> json(c, statusOf(resp), resp));
  }

  private static int statusOf(ServiceResponse resp) {
    if (resp.ok()) {
      return 200;
    }
    // the engine names field "name" exactly when no service of that name exists
    return "name".equals(resp.field()) ? 404 : 400;
  }

  private void events(RoutingContext rc) {
    List<String> given = rc.queryParam("limit");
    int limit = DEFAULT_EVENTS;
    if (!given.isEmpty()) {
      try {
        limit = Integer.parseInt(given.get(0));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1) {
        refuse(rc, RejectReason.INVALID_FIELD, "limit",
            "query parameter 'limit' must be a positive integer, got '" + given.get(0) + "'");
        return;
      }
    }
    int n = Math.min(limit, MAX_EVENTS);
    query(rc, e -> {
      List<AdaptationEvent> all = e.recentEvents();
      return all.subList(Math.max(0, all.size() - n), all.size());
    }, ok());
  }

  private void metrics(RoutingContext rc) {
    // on the decision thread: gauges such as fogwise_devices read the engine's registry
    query(rc, e -> registry.scrape(), (c, text) ->
        c.response().putHeader(HttpHeaders.CONTENT_TYPE, PROMETHEUS_TEXT).end(text));
  }

  /**
   * {@code GET /cache/{key}}: the value's bytes with its content type, version, staleness and age;
   * answered when the cache's read completes (it never blocks this event loop).
   */
  private void cacheRead(RoutingContext rc) {
    if (cache == null) {
      error(rc, 404, null, "this gateway has no cache of cloud data", null);
      return;
    }
    String key = rc.request().path().substring(CACHE_PREFIX.length());
    try {
      DataItem.key(key, "key");
    } catch (ProtocolViolation v) {
      if (rejections != null) {
        rejections.reject(CacheEndpoint.READ_KIND, "GET " + rc.request().path(),
            new RejectedMessageException(v.reason(), v.field(), v.getMessage()));
      }
      refuse(rc, v.reason(), v.field(), v.getMessage());
      return;
    }
    Context here = Vertx.currentContext();
    cache.read(key).whenComplete((read, err) -> here.runOnContext(v -> {
      if (rc.response().ended() || rc.response().closed()) {
        return;
      }
      if (err != null) {
        rc.fail(err);
        return;
      }
      DataReply reply = read.reply();
      switch (read.outcome()) {
        case FRESH, STALE -> {
          DataItem item = reply.item();
          rc.response().setStatusCode(200)
              .putHeader(HttpHeaders.CONTENT_TYPE, item.contentType())
              .putHeader(VERSION_HEADER, Long.toString(item.version()))
              .putHeader(STALE_HEADER, Boolean.toString(reply.stale()))
              .putHeader(HttpHeaders.AGE, Long.toString(reply.ageMs() / 1000))
              .putHeader(AGE_MS_HEADER, Long.toString(reply.ageMs()))
              .end(Buffer.buffer(item.value()));
        }
        case NOT_FOUND -> error(rc, 404, "key", reply.error(), null);
        case CLOUD_UNREACHABLE -> error(rc, 504, null, reply.error(), null);
        case CLOUD_ERROR -> error(rc, 502, null, reply.error(), null);
      }
    }));
  }

  /**
   * {@code GET /events/stream}: server-sent events, {@code event: adaptation} with each
   * {@link AdaptationEvent} as the gateway emits it (its {@code seq} as the id) and
   * {@code event: rates} with a {@link LiveFeed.Rates} every second. A client that does not keep
   * up (its write queue full) is disconnected rather than buffered without bound; it reconnects.
   */
  private void stream(RoutingContext rc) {
    HttpServerResponse res = rc.response();
    res.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-store");
    Context here = Vertx.currentContext();
    Runnable[] unsubscribe = new Runnable[1];
    Consumer<String> send = frame -> here.runOnContext(v -> {
      if (res.ended() || res.closed()) {
        return;
      }
      if (res.writeQueueFull()) {
        LOG.debug("SSE client {} does not keep up: disconnected", rc.request().remoteAddress());
        unsubscribe[0].run();
        res.end();
        return;
      }
      res.write(frame);
    });
    unsubscribe[0] = feed.subscribe(
        e -> send.accept("event: adaptation\nid: " + e.seq() + "\ndata: " + new String(MessageCodec.encode(e),
            java.nio.charset.StandardCharsets.UTF_8) + "\n\n"),
        r -> send.accept("event: rates\ndata: " + new String(MessageCodec.encode(r),
            java.nio.charset.StandardCharsets.UTF_8) + "\n\n"));
    res.closeHandler(v -> unsubscribe[0].run());
    res.endHandler(v -> unsubscribe[0].run());
    // the headers go out once subscribed: a client that sees them misses nothing fed after
    res.write(": fogwise gateway events\n\n");
  }

  private void failed(RoutingContext rc) {
    int code = rc.statusCode() < 0 ? 500 : rc.statusCode();
    String path = rc.request().method() + " " + rc.request().path();
    String message = switch (code) {
      case 404 -> "no endpoint " + path
          + "; try GET /health, /devices, /services, /states, /events, /events/stream, /metrics, /cache/{key}"
          + " or the dashboard at /";
      case 405 -> "method not allowed: " + path;
      case 413 -> "request body exceeds the limit of " + MessageCodec.MAX_MESSAGE_BYTES + " bytes";
      case 503 -> "the gateway engine did not answer " + path + " within " + REQUEST_TIMEOUT_MS + " ms";
      default -> rc.failure() != null && rc.failure().getMessage() != null
          ? rc.failure().getMessage() : HttpResponseStatus.valueOf(code).reasonPhrase();
    };
    if (code == 500) {
      LOG.warn("HTTP {} failed: {}", path, message, rc.failure());
    }
    if (code == 503 && "/health".equals(rc.request().path())) {
      json(rc, 503, health("DOWN", null).put("error", message));
      return;
    }
    error(rc, code, null, message, null);
  }

  /**
   * Runs {@code q} on the engine and replies on this request's own context; a failed query is
   * a 500 that says why.
   */
  private <T> void query(RoutingContext rc, Function<GatewayEngine, T> q, BiConsumer<RoutingContext, T> reply) {
    query(rc, q, reply, rc::fail);
  }

  private <T> void query(RoutingContext rc, Function<GatewayEngine, T> q, BiConsumer<RoutingContext, T> reply,
      Consumer<Throwable> onFailure) {
    Context here = Vertx.currentContext();
    Future<T> result;
    try {
      result = engine.query(q);
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    result.onComplete(ar -> {
      Runnable answer = () -> {
        if (rc.response().ended() || rc.response().closed()) {
          return; // timed out or the client went away
        }
        if (ar.succeeded()) {
          reply.accept(rc, ar.result());
        } else {
          onFailure.accept(ar.cause());
        }
      };
      // the accessor may complete on the decision thread; responses are written from here
      if (Vertx.currentContext() == here) {
        answer.run();
      } else {
        here.runOnContext(v -> answer.run());
      }
    });
  }

  private static <T> BiConsumer<RoutingContext, T> ok() {
    return (rc, value) -> json(rc, 200, value);
  }

  private static byte[] body(RoutingContext rc) {
    Buffer b = rc.body().buffer();
    return b == null ? new byte[0] : b.getBytes();
  }

  private static void refuse(RoutingContext rc, RejectReason reason, String field, String message) {
    error(rc, 400, field, message, reason);
  }

  static void error(RoutingContext rc, int status, String field, String message, RejectReason reason) {
    ObjectNode node = MessageCodec.mapper().createObjectNode().put("ok", false).put("error", message);
    if (field != null) {
      node.put("field", field);
    }
    if (reason != null) {
      node.put("reason", reason.tag());
    }
    json(rc, status, node);
  }

  private static void json(RoutingContext rc, int status, Object value) {
    if (rc.response().ended() || rc.response().closed()) {
      return;
    }
    rc.response()
        .setStatusCode(status)
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .end(Buffer.buffer(MessageCodec.encode(value)));
  }
}
