package io.fogwise.protocol.time;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Where periodic and delayed work runs: the gateway's decision tick and status, policy health
 * checks, an agent's heartbeats, simulated start latencies. Injected like the {@link Clock}, so
 * a test drives all of it with a {@link ManualScheduler} instead of sleeping.
 */
public interface Scheduler {

  /** Runs {@code task} every {@code period}, the first time one period from now. */
  Cancellable every(Duration period, Runnable task);

  /** Runs {@code task} once, {@code delay} from now. */
  Cancellable after(Duration delay, Runnable task);

  /** A scheduled task that can be cancelled; cancelling twice is harmless. */
  interface Cancellable {
    void cancel();
  }

  /** A scheduler on {@code executor} (its threads run the tasks). */
  static Scheduler executor(ScheduledExecutorService executor) {
    return new ExecutorScheduler(Objects.requireNonNull(executor, "executor"));
  }
}

/** Tasks on a {@link ScheduledExecutorService}; a periodic task that throws is logged, not dropped. */
final class ExecutorScheduler implements Scheduler {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ExecutorScheduler.class);
  private final ScheduledExecutorService executor;

  ExecutorScheduler(ScheduledExecutorService executor) {
    this.executor = executor;
  }

  @Override
  public Cancellable every(Duration period, Runnable task) {
    long nanos = requirePositive(period).toNanos();
    ScheduledFuture<?> f = executor.scheduleAtFixedRate(guarded(task), nanos, nanos, TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  @Override
  public Cancellable after(Duration delay, Runnable task) {
    ScheduledFuture<?> f = executor.schedule(guarded(task), Math.max(0, delay.toNanos()), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  private static Runnable guarded(Runnable task) {
    // an exception would silently end a fixed-rate task: keep it running and say why
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        LOG.warn("scheduled task failed: {}", e.toString());
      }
    };
  }

  static Duration requirePositive(Duration period) {
    if (period.isZero() || period.isNegative()) {
      throw new IllegalArgumentException("period must be positive: " + period);
    }
    return period;
  }
}
