package io.fogwise.edge.services;

import java.util.Arrays;

/**
 * Loss, duplicate and epoch accounting for the messages of one publishing service. Pure and
 * not thread-safe: callers serialize access.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>A message from an epoch higher than any seen starts a new sequence; its number is the
 *       new baseline (no gap is counted across epochs, and numbers before the first one seen
 *       in an epoch are not counted missing).
 *   <li>A message from an epoch lower than the highest seen is {@linkplain
 *       Outcome#STALE_EPOCH stale}: counted and dropped.
 *   <li>A message from an epoch above the highest the gateway issued (given by the caller) is
 *       {@linkplain Outcome#UNISSUED_EPOCH unissued}: counted and dropped, and it does not move
 *       the epoch forward, so a forged epoch cannot make every real message look stale.
 *   <li>Within an epoch, a jump forward by more than one counts one gap and the skipped
 *       numbers as missing. A skipped number that arrives late (within the window) is
 *       accepted, counted as reordered, and no longer missing; the gap stays counted.
 *   <li>A number already seen within the last {@link #WINDOW} numbers is a duplicate. A number
 *       further back than the window cannot be told apart and is also treated as a duplicate.
 * </ul>
 *
 * Counters are cumulative over all epochs.
 */
public final class SequenceTracker {
  /** How many recent numbers are remembered for duplicate detection. */
  public static final int WINDOW = 1 << 16;

  private static final int MASK = WINDOW - 1;

  /** What happened to one message. */
  public enum Outcome {
    /** Counted as received; its latency should be recorded. */
    ACCEPTED,
    /** Its (epoch, number) was seen before; dropped. */
    DUPLICATE,
    /** Its epoch is older than the highest seen; dropped. */
    STALE_EPOCH,
    /** Its epoch was never issued by the gateway; dropped. */
    UNISSUED_EPOCH
  }

  private final long[] seen = new long[WINDOW / 64];
  private long epoch = -1;
  private long base = -1;
  private long highest = -1;
  private long received;
  private long gaps;
  private long missing;
  private long duplicates;
  private long staleEpoch;
  private long unissuedEpoch;
  private long reordered;

  /** Accounts for message {@code number} of {@code epoch}, trusting the epoch. */
  public Outcome record(long epoch, long number) {
    return record(epoch, number, Long.MAX_VALUE);
  }

  /**
   * Accounts for message {@code number} of {@code epoch}, where {@code issued} is the highest
   * epoch the gateway issued for the service (-1 if none).
   */
  public Outcome record(long epoch, long number, long issued) {
    if (epoch < 0 || number < 0) {
      throw new IllegalArgumentException("epoch and number must be >= 0, got " + epoch + "/" + number);
    }
    if (epoch > issued) {
      unissuedEpoch++;
      return Outcome.UNISSUED_EPOCH;
    }
    if (epoch < this.epoch) {
      staleEpoch++;
      return Outcome.STALE_EPOCH;
    }
    if (epoch > this.epoch) {
      this.epoch = epoch;
      highest = -1;
      Arrays.fill(seen, 0L);
    }
    if (highest < 0) {
      base = number;
      highest = number;
      mark(number);
      received++;
      return Outcome.ACCEPTED;
    }
    if (number > highest) {
      long jump = number - highest;
      if (jump > 1) {
        gaps++;
        missing += jump - 1;
      }
      forget(highest + 1, number);
      mark(number);
      highest = number;
      received++;
      return Outcome.ACCEPTED;
    }
    if (highest - number >= WINDOW || isMarked(number)) {
      duplicates++;
      return Outcome.DUPLICATE;
    }
    mark(number);
    received++;
    reordered++;
    if (number > base) {
      missing--;
    }
    return Outcome.ACCEPTED;
  }

  /**
   * Counts a message known to be a duplicate without looking at its number: a durable
   * subscriber's redelivery of a stream message it already processed.
   */
  public void countDuplicate() {
    duplicates++;
  }

  /** The highest epoch seen, or -1 before the first message. */
  public long epoch() {
    return epoch;
  }

  /** The highest number seen in the current epoch, or -1. */
  public long highestNumber() {
    return highest;
  }

  /** Messages accepted: neither duplicates nor stale. */
  public long received() {
    return received;
  }

  /** Forward jumps within an epoch; a jump of any length counts once. */
  public long gaps() {
    return gaps;
  }

  /** Numbers skipped within an epoch and not (yet) arrived late. */
  public long missing() {
    return missing;
  }

  public long duplicates() {
    return duplicates;
  }

  /** Messages from an epoch older than the highest seen. */
  public long staleEpoch() {
    return staleEpoch;
  }

  /** Messages whose epoch the gateway never issued. */
  public long unissuedEpoch() {
    return unissuedEpoch;
  }

  /** Messages that arrived after a higher number of the same epoch. */
  public long reordered() {
    return reordered;
  }

  private void mark(long number) {
    int bit = (int) (number & MASK);
    seen[bit >>> 6] |= 1L << bit;
  }

  private boolean isMarked(long number) {
    int bit = (int) (number & MASK);
    return (seen[bit >>> 6] & (1L << bit)) != 0;
  }

  /** Clears the slots of numbers in [from, to): they were last used by numbers a window ago. */
  private void forget(long from, long to) {
    if (to - from >= WINDOW) {
      Arrays.fill(seen, 0L);
      return;
    }
    for (long n = from; n < to; n++) {
      int bit = (int) (n & MASK);
      seen[bit >>> 6] &= ~(1L << bit);
    }
  }

  @Override
  public String toString() {
    return "SequenceTracker[epoch=" + epoch + ", received=" + received + ", gaps=" + gaps + ", missing=" + missing
        + ", duplicates=" + duplicates + ", staleEpoch=" + staleEpoch + ", unissuedEpoch=" + unissuedEpoch + ", reordered=" + reordered + "]";
  }
}
