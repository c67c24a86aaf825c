package io.fogwise.gateway.core.orchestrator;

/**
 * An intent was not carried out. {@link #refused()} tells a device (or engine) that answered
 * no — an unknown kind, a bad configuration — from one that did not answer at all, which
 * counts toward declaring the device unreachable.
 */
public final class IntentFailedException extends RuntimeException {
  private final boolean refused;

  private IntentFailedException(String reason, boolean refused, Throwable cause) {
    super(reason, cause);
    this.refused = refused;
  }

  /** The target answered and refused, saying why. */
  public static IntentFailedException refused(String reason) {
    return new IntentFailedException(reason, true, null);
  }

  /** The target did not answer (timeout, unreachable, unreadable reply). */
  public static IntentFailedException unreachable(String reason, Throwable cause) {
    return new IntentFailedException(reason, false, cause);
  }

  /** Whether the target answered with a refusal (rather than not answering). */
  public boolean refused() {
    return refused;
  }

  /** The {@link IntentFailedException} in {@code t} (unwrapping completion wrappers), or one made from it. */
  public static IntentFailedException of(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
        && c.getCause() != null) {
      c = c.getCause();
    }
    return c instanceof IntentFailedException i ? i : unreachable(c.getClass().getSimpleName() + ": " + c.getMessage(), c);
  }
}
