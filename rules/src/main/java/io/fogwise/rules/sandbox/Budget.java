package io.fogwise.rules.sandbox;

import java.lang.management.ManagementFactory;

/**
 * The wall-time and allocation budget of one rule evaluation on the current thread. The sandbox
 * puts a call to {@link #check()} at the top of every loop body in a rule's right-hand side, so a
 * rule that loops forever, or allocates in a loop, stops at the budget instead of hanging the
 * gateway's decision thread or filling its heap.
 *
 * <p>The deadline is real elapsed time ({@link System#nanoTime()}), not the injected rule clock:
 * it guards against a rule burning CPU, which only the machine's clock can measure. Allocation is
 * the JVM's count of bytes this thread allocated ({@link #allocatedBytes()}).
 */
public final class Budget {
  private static final ThreadLocal<long[]> LIMITS = new ThreadLocal<>();
  private static final com.sun.management.ThreadMXBean THREADS = threads();

  private Budget() {}

  /** Starts a budget on this thread that ends at {@code deadlineNanos} ({@link System#nanoTime()} scale). */
  public static void enter(long deadlineNanos) {
    enter(deadlineNanos, Long.MAX_VALUE);
  }

  /**
   * Starts a budget on this thread that ends at {@code deadlineNanos} or once the thread's
   * {@linkplain #allocatedBytes() allocated bytes} pass {@code allocationLimitBytes}.
   */
  public static void enter(long deadlineNanos, long allocationLimitBytes) {
    LIMITS.set(new long[] {deadlineNanos, allocationLimitBytes});
  }

  /** Ends this thread's budget; {@link #check()} passes again. */
  public static void exit() {
    LIMITS.remove();
  }

  /**
   * Throws {@link BudgetExceeded} if this thread's budget has run out; does nothing when no
   * budget is set (rules fired outside a rule host).
   */
  public static void check() {
    long[] l = LIMITS.get();
    if (l == null) {
      return;
    }
    if (System.nanoTime() - l[0] > 0) {
      throw new BudgetExceeded(false);
    }
    if (l[1] != Long.MAX_VALUE && allocatedBytes() > l[1]) {
      throw new BudgetExceeded(true);
    }
  }

  /**
   * Bytes the current thread has allocated since it started (a monotonic counter; differences
   * measure a stretch of work), or -1 where the JVM cannot measure it.
   */
  public static long allocatedBytes() {
    return THREADS == null ? -1 : THREADS.getCurrentThreadAllocatedBytes();
  }

  private static com.sun.management.ThreadMXBean threads() {
    if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
        && t.isThreadAllocatedMemorySupported()) {
      if (!t.isThreadAllocatedMemoryEnabled()) {
        t.setThreadAllocatedMemoryEnabled(true);
      }
      return t;
    }
    return null;
  }
}
