package io.fogwise.cloud.history;

import java.util.HashMap;
import java.util.Map;

/**
 * A set of stream sequence numbers, as bits in pages of 64 Ki: 8 KiB per 64 Ki messages, so the
 * sequences of a full 30-day stream fit in a few MiB. Not thread-safe.
 */
final class SeqSet {
  private static final int PAGE_BITS = 16;
  private static final int PAGE_WORDS = (1 << PAGE_BITS) / 64;
  private final Map<Long, long[]> pages = new HashMap<>();
  private long size;

  /** Adds {@code seq}; false if it was already there. */
  boolean add(long seq) {
    long[] page = pages.computeIfAbsent(seq >>> PAGE_BITS, k -> new long[PAGE_WORDS]);
    int bit = (int) (seq & ((1 << PAGE_BITS) - 1));
    long mask = 1L << (bit & 63);
    long word = page[bit >>> 6];
    if ((word & mask) != 0) {
      return false;
    }
    page[bit >>> 6] = word | mask;
    size++;
    return true;
  }

  /** Removes {@code seq} if present. */
  void remove(long seq) {
    long[] page = pages.get(seq >>> PAGE_BITS);
    if (page == null) {
      return;
    }
    int bit = (int) (seq & ((1 << PAGE_BITS) - 1));
    long mask = 1L << (bit & 63);
    if ((page[bit >>> 6] & mask) != 0) {
      page[bit >>> 6] &= ~mask;
      size--;
    }
  }

  boolean contains(long seq) {
    long[] page = pages.get(seq >>> PAGE_BITS);
    if (page == null) {
      return false;
    }
    int bit = (int) (seq & ((1 << PAGE_BITS) - 1));
    return (page[bit >>> 6] & (1L << (bit & 63))) != 0;
  }

  long size() {
    return size;
  }
}
