package io.fogwise.gateway.http;

import io.fogwise.gateway.cache.CloudCache;
import io.fogwise.protocol.MessageRejections;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gateway's HTTP API and Prometheus endpoint, served by its own event-loop verticle:
 *
 * <ul>
 *   <li>{@code GET /health}: the gateway's status, with {@code "status"} UP, DEGRADED (a
 *       service short of instances too long, or NATS down; named in {@code degraded},
 *       {@code nats}) or DOWN (503: the engine not running, or its last decision tick older than
 *       2 s, {@code lastTickAgeMs}); answered on the event loop from a published snapshot
 *   <li>{@code GET /devices}: every known device with its suspicion and telemetry
 *   <li>{@code GET /services}: declared services ({@code spec}) and their {@code placements}
 *   <li>{@code GET /services/{name}}: one declared spec, 404 if unknown
 *   <li>{@code POST /services}: apply a {@code ServiceSpec}, validated exactly like one
 *       arriving over NATS; 400 names the offending field
 *   <li>{@code DELETE /services/{name}}: delete a service, 404 if unknown
 *   <li>{@code POST /services/{name}/move}: {@code {"toLayer":"EDGE"}} or
 *       {@code {"toDevice":"edge-2"}}
 *   <li>{@code GET /events?limit=N}: the most recent adaptation events, newest last (default
 *       100, at most 500)
 *   <li>{@code GET /metrics}: the registry in Prometheus text format 0.0.4
 *   <li>{@code GET /cache/{key}}: an item of cloud data through the gateway's cache: its bytes with
 *       its {@code Content-Type}, {@code X-Fogwise-Version}, {@code X-Fogwise-Stale},
 *       {@code Age} (seconds) and {@code X-Fogwise-Age-Ms}; 400 malformed key, 404 not found, 504
 *       the cloud did not answer and 502 it answered badly, with no usable copy
 * </ul>
 *
 * <p>Bodies over {@link io.fogwise.protocol.MessageCodec#MAX_MESSAGE_BYTES} are refused with
 * 413. Every error is JSON: {@code {"ok":false,"error":"...","field":"...","reason":"..."}}.
 * The engine is reached only through {@link EngineAccess}, so handlers never block.
 */
public final class GatewayHttpServer {
  private final Vertx vertx;
  private final String deploymentId;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();

  private GatewayHttpServer(Vertx vertx, String deploymentId, int port) {
    this.vertx = vertx;
    this.deploymentId = deploymentId;
    this.port = port;
  }

  /**
   * Starts serving on {@code port} (0 picks a free one). The future fails, saying which port
   * and why, when the server cannot listen.
   *
   * @param engine how to reach the decision core, e.g. {@link EngineAccess#onContext}
   * @param registry the registry {@code GET /metrics} renders; it is scraped on the engine's
   *     decision thread, because gauges there read engine state
   */
  public static Future<GatewayHttpServer> start(
      Vertx vertx, int port, EngineAccess engine, PrometheusMeterRegistry registry) {
    return start(vertx, port, engine, null, registry);
  }

  /**
   * Starts serving on {@code port}, with {@code GET /health} answered from {@code health} on the
   * event loop (never waiting for the decision thread), or through {@code engine} when null.
   */
  public static Future<GatewayHttpServer> start(
      Vertx vertx, int port, EngineAccess engine, HealthSource health, PrometheusMeterRegistry registry) {
    return start(vertx, port, engine, health, registry, null, null);
  }

  /**
   * Starts serving, with {@code GET /cache/{key}} read through {@code cache} (null: no cache);
   * malformed keys are counted in {@code rejections} as kind {@code cache}.
   */
  public static Future<GatewayHttpServer> start(Vertx vertx, int port, EngineAccess engine, HealthSource health,
      PrometheusMeterRegistry registry, CloudCache cache, MessageRejections rejections) {
    Objects.requireNonNull(vertx, "vertx");
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(registry, "registry");
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("HTTP port must be within [0, 65535], got " + port);
    }
    HttpApiVerticle verticle = new HttpApiVerticle(port, engine, health, registry, cache, rejections);
    return vertx.deployVerticle(verticle)
        .map(id -> new GatewayHttpServer(vertx, id, verticle.actualPort()))
        .recover(err -> Future.failedFuture(new IllegalStateException(
            "HTTP API could not listen on port " + port + ": " + err.getMessage()
                + (port == 0 ? "" : "; choose another port or 0 for a free one"), err)));
  }

  /** The port the server listens on. */
  public int port() {
    return port;
  }

  /** Stops serving; later calls do nothing. */
  public Future<Void> close() {
    if (!closed.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    return vertx.undeploy(deploymentId);
  }
}
