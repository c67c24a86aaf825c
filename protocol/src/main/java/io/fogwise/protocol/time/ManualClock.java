package io.fogwise.protocol.time;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told to; thread-safe. Wall time moves with monotonic time. */
public final class ManualClock implements Clock {
  private final AtomicLong nanos;
  private final long wallOffsetMillis;

  /** Starts at monotonic zero and wall time {@code wallStartMillis}. */
  public ManualClock(long wallStartMillis) {
    this.nanos = new AtomicLong();
    this.wallOffsetMillis = wallStartMillis;
  }

  /** Starts at monotonic zero and wall time 2026-01-01T00:00:00Z. */
  public ManualClock() {
    this(1_767_225_600_000L);
  }

  @Override
  public long nanos() {
    return nanos.get();
  }

  @Override
  public long wallMillis() {
    return wallOffsetMillis + nanos.get() / 1_000_000L;
  }

  /** Moves time forward. */
  public void advance(Duration d) {
    Objects.requireNonNull(d, "d");
    if (d.isNegative()) {
      throw new IllegalArgumentException("time cannot go backwards: " + d);
    }
    nanos.addAndGet(d.toNanos());
  }

  /** Moves time forward by {@code millis} milliseconds. */
  public void advanceMillis(long millis) {
    advance(Duration.ofMillis(millis));
  }
}
