package io.fogwise.cloud.history;

import io.fogwise.protocol.AdaptationEvent;
import java.util.List;
import java.util.Objects;

/**
 * An immutable snapshot of the fleet's history, loaded from the {@link HistoryStore}: every
 * device's telemetry as columns, and the adaptation events. What the miners read.
 */
public final class History {
  private final List<DeviceSeries> devices;
  private final List<AdaptationEvent> events;
  private final Counts counts;
  private final long fromMillis;
  private final long toMillis;

  History(List<DeviceSeries> devices, List<AdaptationEvent> events, Counts counts, long fromMillis, long toMillis) {
    this.devices = List.copyOf(devices);
    this.events = List.copyOf(events);
    this.counts = Objects.requireNonNull(counts, "counts");
    this.fromMillis = fromMillis;
    this.toMillis = toMillis;
  }

  /**
   * A history not read from a store (tests, a benchmark reading the streams itself): its counts
   * are what it holds, with nothing rejected or dropped.
   */
  public static History of(List<DeviceSeries> devices, List<AdaptationEvent> events, long fromMillis, long toMillis) {
    long telemetry = devices.stream().mapToLong(d -> d.atMillis().length).sum();
    return new History(devices, events, new Counts(telemetry, events.size(), java.util.Map.of(), 0, 0), fromMillis,
        toMillis);
  }

  /** One series per (gateway, device), ordered by gateway and device id; readings sorted by time. */
  public List<DeviceSeries> devices() {
    return devices;
  }

  /** Adaptation events, sorted by {@code atMillis}, each stream message once. */
  public List<AdaptationEvent> events() {
    return events;
  }

  /** What was stored, rejected and dropped as duplicate. */
  public Counts counts() {
    return counts;
  }

  /** The earliest telemetry time, or 0 if there is no telemetry. */
  public long fromMillis() {
    return fromMillis;
  }

  /** The latest telemetry time, or 0 if there is no telemetry. */
  public long toMillis() {
    return toMillis;
  }

  @Override
  public String toString() {
    return "History[" + devices.size() + " devices, " + counts + ", " + fromMillis + ".." + toMillis + "]";
  }
}
