package io.fogwise.gateway.http;

import io.fogwise.gateway.core.GatewayEngine;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * How the HTTP API reaches the decision core: a query runs wherever the engine lives (its
 * decision context) and its result comes back as a future, so no HTTP handler ever touches
 * the engine from an event loop or waits for it.
 */
public interface EngineAccess {

  /**
   * Runs {@code query} against the engine on its decision thread. The future fails when the
   * query throws or the engine is not running. Queries should copy what they read: the
   * engine's mutable objects must not leave the decision thread.
   */
  <T> Future<T> query(Function<GatewayEngine, T> query);

  /**
   * Access through {@code decisionContext}, the context the engine's every call runs on;
   * {@code engine} is read on that context and may answer null until the engine is built.
   */
  static EngineAccess onContext(Context decisionContext, Supplier<GatewayEngine> engine) {
    return new ContextEngineAccess(decisionContext, engine);
  }
}

final class ContextEngineAccess implements EngineAccess {
  private final Context context;
  private final Supplier<GatewayEngine> engine;

  ContextEngineAccess(Context context, Supplier<GatewayEngine> engine) {
    this.context = Objects.requireNonNull(context, "decisionContext");
    this.engine = Objects.requireNonNull(engine, "engine");
  }

  @Override
  public <T> Future<T> query(Function<GatewayEngine, T> query) {
    Objects.requireNonNull(query, "query");
    Promise<T> promise = Promise.promise();
    context.runOnContext(v -> {
      GatewayEngine e = engine.get();
      if (e == null) {
        promise.fail(new IllegalStateException("the gateway engine is not running"));
        return;
      }
      try {
        promise.complete(query.apply(e));
      } catch (RuntimeException ex) {
        promise.fail(ex);
      }
    });
    return promise.future();
  }
}
