package io.fogwise.cli;

import java.time.Duration;
import java.util.Objects;

/**
 * How long {@code fogwise hub --restart} waits before starting a dead nats-server again:
 * doubling from {@code initial} up to {@code max}, and back to {@code initial} once a server
 * has run for {@code stableAfter}, so a server that crashes at start does not spin while one
 * that dies after days comes back at once.
 *
 * @param initial the delay after the first failure
 * @param max the longest delay
 * @param stableAfter the uptime after which a death counts as a first failure again
 */
record RestartBackoff(Duration initial, Duration max, Duration stableAfter) {
  /**
   * Half a second keeps a hub restart well inside what gateways and agents ride out (their
   * reconnect wait is 250 ms and they buffer while disconnected); ten seconds bounds the log to
   * six lines a minute while the port is held by someone else; a server that ran for half a
   * minute did start properly, so its death is news, not a crash loop.
   */
  static final RestartBackoff DEFAULT =
      new RestartBackoff(Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ofSeconds(30));

  RestartBackoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    Objects.requireNonNull(stableAfter, "stableAfter");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max, got " + initial + " and " + max);
    }
  }

  /** The delay before restart attempt number {@code failures} (1 for the first) in a row. */
  Duration delay(int failures) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures must be at least 1, not " + failures);
    }
    Duration d = initial;
    for (int i = 1; i < failures && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) < 0 ? d : max;
  }

  /** Failures in a row after a server that ran for {@code uptime} died. */
  int failuresAfter(int previous, Duration uptime) {
    return uptime.compareTo(stableAfter) >= 0 ? 1 : previous + 1;
  }
}
