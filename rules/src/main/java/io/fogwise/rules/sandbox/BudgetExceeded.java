package io.fogwise.rules.sandbox;

/** Thrown inside a rule's right-hand side when the evaluation ran past its wall-time budget. */
public final class BudgetExceeded extends RuntimeException {
  BudgetExceeded() {
    super("rule evaluation ran past its wall-time budget", null, false, false);
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
