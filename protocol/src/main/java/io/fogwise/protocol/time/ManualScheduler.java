package io.fogwise.protocol.time;

import java.time.Duration;
import java.util.Objects;
import java.util.PriorityQueue;

/**
 * A scheduler driven by a {@link ManualClock}: tasks run only inside {@link #advance}, in time
 * order, each with the clock set to its due time. Not thread-safe: a test drives it from one
 * thread.
 */
public final class ManualScheduler implements Scheduler {
  private final ManualClock clock;
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long seq;

  public ManualScheduler(ManualClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** The clock this scheduler moves. */
  public ManualClock clock() {
    return clock;
  }

  @Override
  public Cancellable every(Duration period, Runnable task) {
    long p = ExecutorScheduler.requirePositive(period).toNanos();
    Task t = new Task(clock.nanos() + p, p, task, seq++);
    queue.add(t);
    return () -> t.cancelled = true;
  }

  @Override
  public Cancellable after(Duration delay, Runnable task) {
    Task t = new Task(clock.nanos() + Math.max(0, delay.toNanos()), 0, task, seq++);
    queue.add(t);
    return () -> t.cancelled = true;
  }

  /** Runs what is due now (tasks scheduled with no delay, for example). */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves the clock forward by {@code d}, running every task that falls due on the way. */
  public void advance(Duration d) {
    long end = clock.nanos() + d.toNanos();
    while (!queue.isEmpty() && queue.peek().dueNanos <= end) {
      Task t = queue.poll();
      if (t.origin.cancelled) {
        continue;
      }
      if (t.dueNanos > clock.nanos()) {
        clock.advance(Duration.ofNanos(t.dueNanos - clock.nanos()));
      }
      if (t.periodNanos > 0) {
        queue.add(new Task(t.dueNanos + t.periodNanos, t.periodNanos, t.task, seq++, t));
      }
      t.task.run();
    }
    if (end > clock.nanos()) {
      clock.advance(Duration.ofNanos(end - clock.nanos()));
    }
  }

  /** Moves the clock forward by {@code millis}, running what falls due. */
  public void advanceMillis(long millis) {
    advance(Duration.ofMillis(millis));
  }

  /** Tasks waiting (cancelled ones included until they come due). */
  public int pending() {
    return queue.size();
  }

  private static final class Task implements Comparable<Task> {
    final long dueNanos;
    final long periodNanos;
    final Runnable task;
    final long order;
    volatile boolean cancelled;
    final Task origin;

    Task(long dueNanos, long periodNanos, Runnable task, long order) {
      this(dueNanos, periodNanos, task, order, null);
    }

    Task(long dueNanos, long periodNanos, Runnable task, long order, Task previous) {
      this.dueNanos = dueNanos;
      this.periodNanos = periodNanos;
      this.task = task;
      this.order = order;
      this.origin = previous == null ? this : previous.origin;
    }

    @Override
    public int compareTo(Task o) {
      return dueNanos != o.dueNanos ? Long.compare(dueNanos, o.dueNanos) : Long.compare(order, o.order);
    }
  }
}
