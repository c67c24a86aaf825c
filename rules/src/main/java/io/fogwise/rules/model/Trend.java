package io.fogwise.rules.model;

import java.util.ArrayDeque;

/**
 * How fast a reading changes: the least-squares slope, in units per minute, of the readings of
 * the last {@link #WINDOW_MS} (a battery losing 2 % a minute has a trend of -2). The gateway
 * keeps one per device and signal ({@code Device.batteryTrend}, ...) and the cloud miner computes
 * its features with this same class, so a threshold it mines means the same on the gateway.
 *
 * <p>There is no trend (null) until the window holds at least {@link #MIN_POINTS} readings
 * spanning at least half of it: a trend over two readings is mostly noise.
 */
public final class Trend {
  /** The window a trend is computed over. */
  public static final long WINDOW_MS = 60_000;
  /** Fewest readings in the window for a trend. */
  public static final int MIN_POINTS = 10;

  private final ArrayDeque<long[]> points = new ArrayDeque<>();
  // running sums over the window, with times relative to origin (ms) to keep them small
  private long origin = Long.MIN_VALUE;
  private double sumT;
  private double sumV;
  private double sumTT;
  private double sumTV;

  /**
   * Adds a reading at {@code atMillis} (not earlier than the previous one); NaN is ignored.
   * Readings older than the window are dropped.
   */
  public void add(long atMillis, double value) {
    if (Double.isNaN(value)) {
      return;
    }
    if (origin == Long.MIN_VALUE) {
      origin = atMillis;
    }
    if (!points.isEmpty() && atMillis < points.peekLast()[0]) {
      atMillis = points.peekLast()[0];
    }
    points.addLast(new long[] {atMillis, Double.doubleToRawLongBits(value)});
    double t = atMillis - origin;
    sumT += t;
    sumV += value;
    sumTT += t * t;
    sumTV += t * value;
    while (points.peekFirst()[0] < atMillis - WINDOW_MS) {
      long[] old = points.removeFirst();
      double ot = old[0] - origin;
      double ov = Double.longBitsToDouble(old[1]);
      sumT -= ot;
      sumV -= ov;
      sumTT -= ot * ot;
      sumTV -= ot * ov;
    }
    if (points.peekFirst()[0] - origin > 10 * WINDOW_MS) {
      rebase();
    }
  }

  /** Forgets every reading (a device that returned starts afresh). */
  public void clear() {
    points.clear();
    origin = Long.MIN_VALUE;
    sumT = sumV = sumTT = sumTV = 0;
  }

  /** The slope in units per minute, rounded to 0.01, or null if there are too few readings. */
  public Double perMinute() {
    int n = points.size();
    if (n < MIN_POINTS || points.peekLast()[0] - points.peekFirst()[0] < WINDOW_MS / 2) {
      return null;
    }
    double denominator = n * sumTT - sumT * sumT;
    if (denominator <= 0) {
      return null;
    }
    double perMs = (n * sumTV - sumT * sumV) / denominator;
    return Math.round(perMs * 60_000 * 100) / 100.0;
  }

  /** Recomputes the sums relative to the oldest reading, so they never grow with time. */
  private void rebase() {
    origin = points.peekFirst()[0];
    sumT = sumV = sumTT = sumTV = 0;
    for (long[] p : points) {
      double t = p[0] - origin;
      double v = Double.longBitsToDouble(p[1]);
      sumT += t;
      sumV += v;
      sumTT += t * t;
      sumTV += t * v;
    }
  }
}
