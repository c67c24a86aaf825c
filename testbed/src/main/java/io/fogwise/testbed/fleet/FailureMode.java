package io.fogwise.testbed.fleet;

/** How a simulated device dies: a hidden label, for scoring only, never published. */
public enum FailureMode {
  /** The battery drains to empty over the precursor phase. */
  BATTERY,
  /** The temperature climbs to a critical value over the precursor phase. */
  OVERHEAT,
  /** Memory in use climbs to the limit over the precursor phase. */
  MEMORY_LEAK,
  /** Stops without warning: no precursor. */
  CRASH;

  /** Whether telemetry shows this failure coming. */
  public boolean hasPrecursor() {
    return this != CRASH;
  }
}
