package io.fogwise.gateway;

import io.fogwise.protocol.time.Scheduler;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * The gateway's {@link Scheduler}: Vert.x timers whose handlers run on the gateway verticle's
 * context, one at a time with every other decision (the worker threading model), so periodic
 * work needs no locks. A scheduler given in {@link GatewayConfig} (a manual one in tests) is used
 * instead, its tasks hopping onto the same context.
 */
final class VertxScheduler {
  private VertxScheduler() {}

  /** Timers on {@code vertx}, created from (and so running on) the calling verticle's context. */
  static Scheduler timers(Vertx vertx) {
    return new Scheduler() {
      @Override
      public Cancellable every(Duration period, Runnable task) {
        long id = vertx.setPeriodic(Math.max(1, period.toMillis()), t -> task.run());
        return () -> vertx.cancelTimer(id);
      }

      @Override
      public Cancellable after(Duration delay, Runnable task) {
        long id = vertx.setTimer(Math.max(1, delay.toMillis()), t -> task.run());
        return () -> vertx.cancelTimer(id);
      }
    };
  }

  /** {@code outer}'s timing, with every task run on {@code ctx}. */
  static Scheduler onContext(Scheduler outer, Context ctx) {
    return new Scheduler() {
      @Override
      public Cancellable every(Duration period, Runnable task) {
        return outer.every(period, () -> ctx.runOnContext(v -> task.run()));
      }

      @Override
      public Cancellable after(Duration delay, Runnable task) {
        return outer.after(delay, () -> ctx.runOnContext(v -> task.run()));
      }
    };
  }
}
