package io.fogwise.rules.sandbox;

/**
 * The wall-time budget of one rule evaluation on the current thread. The sandbox puts a call
 * to {@link #check()} at the top of every loop body in a rule's right-hand side, so a rule that
 * loops forever stops at the deadline instead of hanging the gateway's decision thread.
 *
 * <p>The deadline is real elapsed time ({@link System#nanoTime()}), not the injected rule clock:
 * it guards against a rule burning CPU, which only the machine's clock can measure.
 */
public final class Budget {
  private static final ThreadLocal<long[]> DEADLINE = new ThreadLocal<>();

  private Budget() {}

  /** Starts a budget on this thread that ends at {@code deadlineNanos} ({@link System#nanoTime()} scale). */
  public static void enter(long deadlineNanos) {
    DEADLINE.set(new long[] {deadlineNanos});
  }

  /** Ends this thread's budget; {@link #check()} passes again. */
  public static void exit() {
    DEADLINE.remove();
  }

  /**
   * Throws {@link BudgetExceeded} if this thread's budget has run out; does nothing when no
   * budget is set (rules fired outside a rule host).
   */
  public static void check() {
    long[] d = DEADLINE.get();
    if (d != null && System.nanoTime() - d[0] > 0) {
      throw new BudgetExceeded();
    }
  }
}
