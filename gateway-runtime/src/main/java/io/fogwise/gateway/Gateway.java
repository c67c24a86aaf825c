package io.fogwise.gateway;

import io.fogwise.gateway.core.GatewayEngine;
import io.fogwise.gateway.lease.GatewayLease;
import io.fogwise.gateway.lease.LeaseHeldException;
import io.fogwise.gateway.metrics.ProcessMetrics;
import io.fogwise.protocol.MessageRejections;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A running fog gateway: Vert.x, its NATS connection, and the decision core. Start one with
 * {@link #start(GatewayConfig)}; close it to stop.
 */
public final class Gateway implements AutoCloseable {
  private final Vertx vertx;
  private final GatewayVerticle verticle;
  private final MeterRegistry meters;
  private final MessageRejections rejections;
  private final ProcessMetrics process;

  private Gateway(Vertx vertx, GatewayVerticle verticle, MeterRegistry meters, MessageRejections rejections,
      ProcessMetrics process) {
    this.vertx = vertx;
    this.process = process;
    this.verticle = verticle;
    this.meters = meters;
    this.rejections = rejections;
  }

  /**
   * Starts a gateway and waits until it is connected, holds the lease on its id, and its rules
   * are compiled.
   *
   * @throws LeaseHeldException when another live process runs a gateway with this id
   */
  public static Gateway start(GatewayConfig config) throws Exception {
    Vertx vertx = Vertx.vertx();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ProcessMetrics process = ProcessMetrics.bind(meters, "gateway");
    MessageRejections rejections = new MessageRejections("gateway " + config.gatewayId);
    GatewayVerticle verticle = new GatewayVerticle(config, meters, rejections);
    try {
      vertx.deployVerticle(verticle, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER))
          .toCompletionStage().toCompletableFuture().get(config.startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      verticle.abandonFailedStart();
      vertx.close();
      process.close();
      throw new IllegalStateException("gateway " + config.gatewayId + " did not finish starting within "
          + config.startTimeout.toSeconds() + " s (NATS at " + config.natsUrl + " unreachable, or the machine"
          + " overloaded? --start-timeout sets the limit)", e);
    } catch (Exception e) {
      verticle.abandonFailedStart();
      vertx.close();
      process.close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof LeaseHeldException held) {
        throw held; // one line that names the holder; nothing more to add
      }
      throw new IllegalStateException("gateway " + config.gatewayId + " failed to start: " + cause, cause);
    }
    // Another process took the id: stop everything, so nothing here acts on the fleet again.
    verticle.lost().thenRun(vertx::close);
    return new Gateway(vertx, verticle, meters, rejections, process);
  }

  /**
   * Completes, with a one-line reason, if another process takes this gateway's id while it runs;
   * the gateway has then stopped acting and closes itself, and its process should exit non-zero.
   */
  public java.util.concurrent.CompletionStage<String> lost() {
    return verticle.lost();
  }

  /** The lease on the gateway id (holder, epoch, expiry) while this gateway holds it. */
  public java.util.Optional<GatewayLease> lease() {
    return verticle.lease();
  }

  /** Runs {@code query} on the decision thread and returns its result (for tests and tools). */
  public <T> T query(Function<GatewayEngine, T> query) {
    CompletableFuture<T> f = new CompletableFuture<>();
    verticle.context().runOnContext(v -> {
      try {
        f.complete(query.apply(verticle.engine()));
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("gateway query failed: " + e.getMessage(), e);
    }
  }

  /** The HTTP API port, or -1 when the gateway serves no HTTP. */
  public int httpPort() {
    return verticle.httpPort();
  }

  /** Where the HTTP API is served, e.g. {@code https://0.0.0.0:8443/}; empty when the gateway serves no HTTP. */
  public java.util.Optional<String> httpUrl() {
    return verticle.httpUrl();
  }

  /** Rejected inbound messages by kind and reason. */
  public MessageRejections rejections() {
    return rejections;
  }

  /** The gateway's metrics, as {@code GET /metrics} serves them. */
  public MeterRegistry meters() {
    return meters;
  }

  /** Stops the gateway. */
  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing anyway; nothing to save
    }
    process.close();
  }
}
