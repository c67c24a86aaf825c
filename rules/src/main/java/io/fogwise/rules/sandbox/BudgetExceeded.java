package io.fogwise.rules.sandbox;

/**
 * Thrown inside a rule's right-hand side when the evaluation ran past its wall-time budget or
 * allocated more than its allocation budget.
 */
public final class BudgetExceeded extends RuntimeException {
  private final boolean allocation;

  BudgetExceeded(boolean allocation) {
    super(allocation ? "rule evaluation allocated more than its allocation budget"
        : "rule evaluation ran past its wall-time budget", null, false, false);
    this.allocation = allocation;
  }

  /** Whether the allocation budget ran out (else the wall-time budget). */
  public boolean allocation() {
    return allocation;
  }

  /** The {@code BudgetExceeded} in {@code t}'s cause chain (Drools wraps it), or null. */
  public static BudgetExceeded in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof BudgetExceeded b) {
        return b;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }
}
