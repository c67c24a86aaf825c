package io.fogwise.gateway.core;

import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.Scheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Requests the engine's decision ticks from a timer of its own, not from the decision thread.
 * Each request is stamped when the timer fires and carried to the decision thread with
 * {@link GatewayEngine#tick(long)}: that thread takes work in order, so every heartbeat stamped
 * before the request has been taken in when the tick runs, and a queue in front of the decision
 * thread never looks like device silence. A request is not queued while another one waits
 * (coalescing), so a slow decision thread is not buried under ticks. A gap between two timer
 * firings much longer than the period means the whole process was stopped (GC, SIGSTOP, an
 * overloaded host): it is handed to the engine as its own pause ({@link GatewayEngine#paused}).
 * So is a backlog of inbound messages received but not yet stamped, when the caller says how to
 * read it ({@link GatewayEngine#behind}).
 */
public final class DecisionTicker implements AutoCloseable {
  /**
   * A gap between timer firings longer than this many periods is the process's own pause: 8
   * periods (200 ms at the default 25 ms tick) is well above scheduling jitter on a loaded
   * 2-core machine and below the 825 ms of silence that makes a device suspect.
   */
  static final int PAUSE_PERIODS = 8;

  private final Clock clock;
  private final long periodNanos;
  private final Executor decisionThread;
  private final GatewayEngine engine;
  private final Runnable afterTick;
  private final LongSupplier backlog;
  private final LongSupplier backlogLimit;
  private final AtomicBoolean pending = new AtomicBoolean();
  /** Since when the inbound backlog has been over its limit, or Long.MIN_VALUE. */
  private long behindSince = Long.MIN_VALUE;
  private final Deque<long[]> pauses = new ArrayDeque<>();
  private final Deque<long[]> backlogs = new ArrayDeque<>();
  private long lastFired = Long.MIN_VALUE;
  private volatile long requested;
  private volatile long coalesced;
  private final Scheduler.Cancellable timer;

  private DecisionTicker(Scheduler timer, Clock clock, Duration period, Executor decisionThread, GatewayEngine engine,
      Runnable afterTick, LongSupplier backlog, LongSupplier backlogLimit) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.backlog = Objects.requireNonNull(backlog, "backlog");
    this.backlogLimit = Objects.requireNonNull(backlogLimit, "backlogLimit");
    this.periodNanos = period.toNanos();
    this.decisionThread = Objects.requireNonNull(decisionThread, "decisionThread");
    this.engine = Objects.requireNonNull(engine, "engine");
    this.afterTick = Objects.requireNonNull(afterTick, "afterTick");
    if (periodNanos <= 0) {
      throw new IllegalArgumentException("period must be > 0, got " + period);
    }
    this.timer = timer.every(period, this::fire);
  }

  /**
   * Starts requesting ticks every {@code period} on {@code timer} (which must not run on the
   * decision thread), running each on {@code decisionThread}, then {@code afterTick} there.
   */
  public static DecisionTicker start(Scheduler timer, Clock clock, Duration period, Executor decisionThread,
      GatewayEngine engine, Runnable afterTick) {
    return new DecisionTicker(timer, clock, period, decisionThread, engine, afterTick, () -> 0, () -> Long.MAX_VALUE);
  }

  /**
   * The same, also watching the inbound messages received but not yet stamped ({@code backlog},
   * e.g. a NATS dispatcher's pending count): while it is above {@code backlogLimit} the gateway
   * is behind, and that is handed to the engine as its own silence ({@link GatewayEngine#behind}).
   */
  public static DecisionTicker start(Scheduler timer, Clock clock, Duration period, Executor decisionThread,
      GatewayEngine engine, Runnable afterTick, LongSupplier backlog, LongSupplier backlogLimit) {
    return new DecisionTicker(timer, clock, period, decisionThread, engine, afterTick, backlog, backlogLimit);
  }

  /** On the timer's thread. */
  private void fire() {
    long now = clock.nanos();
    if (lastFired != Long.MIN_VALUE && now - lastFired > PAUSE_PERIODS * periodNanos) {
      synchronized (pauses) {
        pauses.add(new long[] {lastFired + periodNanos, now});
      }
    }
    lastFired = now;
    long inbound = backlog.getAsLong();
    boolean over = inbound > backlogLimit.getAsLong();
    long[] behind = null;
    if (over && behindSince == Long.MIN_VALUE) {
      behindSince = now;
    }
    if (behindSince != Long.MIN_VALUE) {
      // reported while it lasts and once more when it has cleared
      behind = new long[] {behindSince, now, inbound};
      if (!over) {
        behindSince = Long.MIN_VALUE;
      }
    }
    if (behind != null) {
      synchronized (pauses) {
        backlogs.add(behind);
      }
    }
    if (!pending.compareAndSet(false, true)) {
      coalesced++;
      return;
    }
    requested++;
    decisionThread.execute(() -> {
      pending.set(false);
      long[] pause;
      while ((pause = nextPause()) != null) {
        engine.paused(pause[0], pause[1]);
      }
      long[] b;
      while ((b = nextBacklog()) != null) {
        engine.behind(b[0], b[1], b[2]);
      }
      engine.tick(now);
      afterTick.run();
    });
  }

  private long[] nextBacklog() {
    synchronized (pauses) {
      return backlogs.poll();
    }
  }

  private long[] nextPause() {
    synchronized (pauses) {
      return pauses.poll();
    }
  }

  /** Ticks requested so far. */
  public long requested() {
    return requested;
  }

  /** Timer firings that found a tick still waiting, and so requested none. */
  public long coalesced() {
    return coalesced;
  }

  @Override
  public void close() {
    timer.cancel();
  }
}
