package io.fogwise.edge.services;

/**
 * Whether a numbered producer may send now, and what number comes next: the state behind
 * {@link io.fogwise.edge.Handover} and the {@code stallAfter} fault. Pure and not thread-safe:
 * callers hold one lock across {@link #mayProduce()}, the send and {@link #produced()}, and
 * across {@link #handover()} and {@link #activate(long)}, which is what makes a handover
 * race-free with the send loop.
 *
 * <p>Rules: {@link #handover()} stops output and returns the next number, exactly one more than
 * the last produced; until {@link #activate(long)} nothing is produced. Activating an active
 * gate changes nothing (a retried ACTIVATE must not rewind the numbering). After {@code
 * stallAfter} outputs in total the gate stays shut while still reporting itself active: a hung
 * producer, for fault-injection.
 */
final class OutputGate {
  /** {@code stallAfter} meaning never. */
  static final long NEVER = Long.MAX_VALUE;

  private final long stallAfter;
  private boolean active;
  private long next;
  private long produced;
  private long activations;

  OutputGate(long startNumber, long stallAfter) {
    if (startNumber < 0 || stallAfter < 0) {
      throw new IllegalArgumentException(
          "start number and stallAfter must be >= 0, got " + startNumber + " and " + stallAfter);
    }
    this.next = startNumber;
    this.stallAfter = stallAfter;
    this.active = true;
  }

  /** True if the next output may be produced now. */
  boolean mayProduce() {
    return active && produced < stallAfter;
  }

  /** The number the next output carries. */
  long next() {
    return next;
  }

  /** Records that output {@link #next()} was produced. */
  void produced() {
    if (!mayProduce()) {
      throw new IllegalStateException("produced while " + this);
    }
    next++;
    produced++;
  }

  /** Stops output; returns the number the successor continues from. Idempotent. */
  long handover() {
    active = false;
    return next;
  }

  /**
   * Resumes output from {@code number}.
   *
   * @return false, changing nothing, if the gate was already active
   */
  boolean activate(long number) {
    if (number < 0) {
      throw new IllegalArgumentException("number must be >= 0, got " + number);
    }
    if (active) {
      return false;
    }
    active = true;
    next = number;
    activations++;
    return true;
  }

  /** Whether output is on (a stalled gate is still active: it pretends to run). */
  boolean active() {
    return active;
  }

  /** True once {@code stallAfter} outputs were produced. */
  boolean stalled() {
    return produced >= stallAfter;
  }

  /** Outputs produced in total. */
  long producedCount() {
    return produced;
  }

  /** How many times an inactive gate was activated; a change means "restart the rate schedule now". */
  long activations() {
    return activations;
  }

  @Override
  public String toString() {
    return "OutputGate[active=" + active + ", next=" + next + ", produced=" + produced
        + (stallAfter == NEVER ? "" : ", stallAfter=" + stallAfter) + "]";
  }
}
