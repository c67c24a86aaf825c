package io.fogwise.testbed.bench;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Waiting for something a listener records under a monitor that it notifies on each arrival. */
final class Arrivals {
  private Arrivals() {}

  /**
   * The first non-null {@code value} within {@code timeout}, re-read each time {@code lock} is
   * notified; empty when none came.
   */
  static <T> Optional<T> await(Object lock, Supplier<T> value, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        T v = value.get();
        if (v != null) {
          return Optional.of(v);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Optional.empty();
        }
        lock.wait(Math.max(1, left / 1_000_000L));
      }
    }
  }
}
