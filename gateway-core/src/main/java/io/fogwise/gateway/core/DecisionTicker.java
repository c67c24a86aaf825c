package io.fogwise.gateway.core;

import io.fogwise.protocol.time.Clock;
import io.fogwise.protocol.time.Scheduler;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Requests the engine's decision ticks from a timer of its own, not from the decision thread.
 * Each request is stamped when the timer fires and carried to the decision thread with
 * {@link GatewayEngine#tick(long)}: that thread takes work in order, so every heartbeat stamped
 * before the request has been taken in when the tick runs, and a queue in front of the decision
 * thread never looks like device silence. A request is not queued while another one waits
 * (coalescing), so a slow decision thread is not buried under ticks. A gap between two timer
 * firings much longer than the period means the whole process was stopped (GC, SIGSTOP, an
 * overloaded host): it is handed to the engine as its own pause ({@link GatewayEngine#paused}).
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
  private final AtomicBoolean pending = new AtomicBoolean();
  private final Deque<long[]> pauses = new ArrayDeque<>();
  private long lastFired = Long.MIN_VALUE;
  private volatile long requested;
  private volatile long coalesced;
  private final Scheduler.Cancellable timer;

  private DecisionTicker(Scheduler timer, Clock clock, Duration period, Executor decisionThread, GatewayEngine engine,
      Runnable afterTick) {
    this.clock = Objects.requireNonNull(clock, "clock");
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
    return new DecisionTicker(timer, clock, period, decisionThread, engine, afterTick);
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
      engine.tick(now);
      afterTick.run();
    });
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
