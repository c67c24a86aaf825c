package io.fogwise.protocol.time;

/**
 * The one source of time for everything that measures or decides on time: failure detection,
 * timeouts, back-off, rule clocks. Production uses {@link #system()}; tests use a
 * {@link ManualClock} and advance it instead of sleeping.
 */
public interface Clock {

  /** Monotonic nanoseconds, for intervals and deadlines (never for wall time). */
  long nanos();

  /** Wall-clock milliseconds since the epoch, for timestamps that leave the process. */
  long wallMillis();

  /** Monotonic milliseconds, derived from {@link #nanos()}. */
  default long millis() {
    return nanos() / 1_000_000L;
  }

  /** The system clock: {@link System#nanoTime()} and {@link System#currentTimeMillis()}. */
  static Clock system() {
    return SystemClock.INSTANCE;
  }
}

final class SystemClock implements Clock {
  static final SystemClock INSTANCE = new SystemClock();

  private SystemClock() {}

  @Override
  public long nanos() {
    return System.nanoTime();
  }

  @Override
  public long wallMillis() {
    return System.currentTimeMillis();
  }

  @Override
  public String toString() {
    return "Clock.system()";
  }
}
