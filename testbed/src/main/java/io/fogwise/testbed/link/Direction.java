package io.fogwise.testbed.link;

/** Which way through a {@link LinkEmulator} an impairment applies. */
public enum Direction {
  /** From the client (a component) to the target (its NATS server). */
  UPSTREAM,
  /** From the target back to the client. */
  DOWNSTREAM,
  /** Both ways. */
  BOTH;

  boolean includes(Direction d) {
    return this == BOTH || this == d;
  }
}
