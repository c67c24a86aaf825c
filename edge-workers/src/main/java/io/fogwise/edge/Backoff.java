package io.fogwise.edge;

import java.time.Duration;
import java.util.Objects;

/** Exponential restart back-off: base, 2·base, 4·base, ... capped at max. */
final class Backoff {
  private final long baseNanos;
  private final long maxNanos;

  Backoff(Duration base, Duration max) {
    Objects.requireNonNull(base, "base");
    Objects.requireNonNull(max, "max");
    if (base.isNegative() || base.isZero() || max.compareTo(base) < 0) {
      throw new IllegalArgumentException("back-off needs 0 < base <= max, got base " + base + ", max " + max);
    }
    this.baseNanos = base.toNanos();
    this.maxNanos = max.toNanos();
  }

  /**
   * The delay before restart number {@code attempt} of a run of consecutive crashes.
   *
   * @param attempt 1 for the first restart
   */
  Duration delay(int attempt) {
    if (attempt < 1) {
      throw new IllegalArgumentException("attempt must be >= 1, got " + attempt);
    }
    int shift = attempt - 1;
    // base << shift without overflow: once it would pass max, it is max
    if (shift >= 63 || baseNanos > (maxNanos >> shift)) {
      return Duration.ofNanos(maxNanos);
    }
    return Duration.ofNanos(Math.min(maxNanos, baseNanos << shift));
  }

  /** A run this long is healthy: the next crash starts the back-off from base again. */
  Duration resetAfter() {
    return Duration.ofNanos(maxNanos);
  }
}
