package io.fogwise.edge.services;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * During a hub move a subscriber is attached to two servers and receives most messages twice,
 * once per path. This remembers, for the most recent messages, the path each first arrived on:
 * a message seen before on <em>another</em> path is a copy of the move and is dropped; one seen
 * before on the <em>same</em> path is a real duplicate and is left to {@link SequenceTracker}.
 * Thread-safe.
 */
final class OverlapFilter {
  /** Messages remembered: many seconds of traffic at the rates a hub move overlaps. */
  static final int CAPACITY = 1 << 14;

  private record Key(String service, long epoch, long number) {}

  private final Map<Key, Integer> firstPath = new LinkedHashMap<>(CAPACITY * 2, 0.75f, false) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Key, Integer> eldest) {
      return size() > CAPACITY;
    }
  };

  /** Whether this message already arrived on another path than {@code path}. */
  synchronized boolean isCopy(String service, long epoch, long number, int path) {
    Key k = new Key(service, epoch, number);
    Integer first = firstPath.putIfAbsent(k, path);
    return first != null && first != path;
  }
}
