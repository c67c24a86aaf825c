package io.fogwise.edge.services;

/**
 * Send deadlines at a fixed rate, measured from the start so errors do not accumulate (no
 * drift). Falling behind by less than {@link #MAX_CATCH_UP_NANOS} (or one period, if longer),
 * as ordinary scheduling jitter does, is made up by sending the due messages at once; after a
 * longer pause the schedule skips ahead to the next slot after now instead of bursting. Pure:
 * time is passed in.
 */
final class RateSchedule {
  /** The most lateness that is made up by sending back to back: 10 ms worth of messages. */
  static final long MAX_CATCH_UP_NANOS = 10_000_000L;

  private final long startNanos;
  private final long periodNanos;
  private final long maxLagNanos;
  private long slot;

  RateSchedule(long startNanos, long periodNanos) {
    if (periodNanos <= 0) {
      throw new IllegalArgumentException("period must be positive, got " + periodNanos + " ns");
    }
    this.startNanos = startNanos;
    this.periodNanos = periodNanos;
    this.maxLagNanos = Math.max(periodNanos, MAX_CATCH_UP_NANOS);
  }

  /** Period in nanoseconds for {@code rateHz} messages per second. */
  static long periodNanos(double rateHz) {
    return Math.max(1, Math.round(1_000_000_000d / rateHz));
  }

  /** When the next message is due. */
  long deadline() {
    return startNanos + slot * periodNanos;
  }

  /**
   * Records that the due message was sent at {@code nowNanos} and moves to the next slot.
   *
   * @return how many slots were skipped because the sender fell too far behind
   */
  long sent(long nowNanos) {
    slot++;
    long late = nowNanos - deadline();
    if (late < maxLagNanos) {
      return 0;
    }
    long next = (nowNanos - startNanos) / periodNanos + 1;
    long skipped = next - slot;
    slot = next;
    return skipped;
  }
}
