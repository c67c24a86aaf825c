package io.fogwise.testbed.fleet;

import java.util.Objects;

/**
 * A harmless episode that looks like the start of a failure: a hidden label, for scoring only.
 *
 * @param kind what happened
 * @param startMillis simulated wall time it began
 * @param endMillis simulated wall time the signal was back to normal
 */
public record LookAlike(Kind kind, long startMillis, long endMillis) {
  public LookAlike {
    Objects.requireNonNull(kind, "kind");
    if (endMillis < startMillis) {
      throw new IllegalArgumentException("look-alike ends before it starts");
    }
  }

  /** The kinds of look-alike. */
  public enum Kind {
    /** The battery level falls fast at a mid or high level for a while, then recovers. */
    CHARGING_DIP,
    /** The temperature rises by 10–25 °C for a few seconds, then falls back. */
    HEAT_SPIKE,
    /** Memory in use jumps for a few seconds, then falls back. */
    MEMORY_SPIKE
  }
}
