package io.fogwise.cloud.history;

import io.fogwise.protocol.AdaptationEvent;
import java.util.List;

/**
 * An immutable snapshot of the fleet's history: every device's telemetry as columns, and the
 * adaptation events. What the miners read.
 */
public final class History {
  private final List<DeviceSeries> devices;
  private final List<AdaptationEvent> events;
  private final long fromMillis;
  private final long toMillis;

  private History(List<DeviceSeries> devices, List<AdaptationEvent> events, long fromMillis, long toMillis) {
    this.devices = List.copyOf(devices);
    this.events = List.copyOf(events);
    this.fromMillis = fromMillis;
    this.toMillis = toMillis;
  }

  /** A snapshot of {@code devices} and {@code events} covering {@code fromMillis} to {@code toMillis}. */
  public static History of(List<DeviceSeries> devices, List<AdaptationEvent> events, long fromMillis, long toMillis) {
    return new History(devices, events, fromMillis, toMillis);
  }

  /** One series per (gateway, device); readings sorted by time. */
  public List<DeviceSeries> devices() {
    return devices;
  }

  /** Adaptation events, sorted by {@code atMillis}. */
  public List<AdaptationEvent> events() {
    return events;
  }

  /** The earliest telemetry time, or 0 if there is no telemetry. */
  public long fromMillis() {
    return fromMillis;
  }

  /** The latest telemetry time, or 0 if there is no telemetry. */
  public long toMillis() {
    return toMillis;
  }
}
