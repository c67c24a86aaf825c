package io.fogwise.gateway.core.devices;

import java.time.Duration;
import java.util.Objects;

/**
 * Phi-accrual failure detector for one device (Hayashibara et al., as in Akka and Cassandra).
 * It learns the device's own heartbeat inter-arrival times and turns the current silence into
 * a suspicion level phi = -log10(P(a heartbeat comes later than now)). Not thread-safe: one
 * detector belongs to the registry's thread.
 */
public final class PhiAccrualDetector {
  /**
   * How many recent intervals can be corrected when the gateway learns late that it was not
   * listening (a pause is recognised at the first tick after it; a few heartbeats may have been
   * taken in before that).
   */
  static final int RECENT = 8;
  private final Settings settings;
  private final long[] window;
  private int size;
  private int next;
  private double sum;
  private double sumSquares;
  private long lastArrivalNanos = Long.MIN_VALUE;
  /** The last few arrivals and where their intervals sit in the window, to correct them afterwards. */
  private final long[] recentArrivals = new long[RECENT];
  private final int[] recentSlots = new int[RECENT];
  private int recentCount;
  private int recentNext;

  /**
   * @param settings window size, minimum standard deviation and acceptable pause
   * @param expectedInterval the interval the device announced; seeds the history so a device
   *     is judged sensibly from its first heartbeat
   */
  public PhiAccrualDetector(Settings settings, Duration expectedInterval) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.window = new long[settings.windowSize()];
    long seed = expectedInterval.toMillis();
    add(seed);
    add(seed);
  }

  /** Records a heartbeat arriving at monotonic {@code nowNanos}. */
  public void heartbeat(long nowNanos) {
    heartbeat(nowNanos, true);
  }

  /**
   * Records a heartbeat arriving at monotonic {@code nowNanos}; its interval is learned only if
   * {@code learn} (not while the gateway itself was deaf: that interval says nothing about the
   * device).
   */
  public void heartbeat(long nowNanos, boolean learn) {
    if (lastArrivalNanos != Long.MIN_VALUE && learn) {
      int slot = next;
      add(Math.max(0, (nowNanos - lastArrivalNanos) / 1_000_000L));
      recentArrivals[recentNext] = lastArrivalNanos;
      recentSlots[recentNext] = slot;
      recentNext = (recentNext + 1) % RECENT;
      recentCount = Math.min(recentCount + 1, RECENT);
    }
    lastArrivalNanos = nowNanos;
  }

  /**
   * The gateway was not listening from {@code sinceNanos} on (its link went down, or it was
   * paused and noticed only now): an interval already learned that spans that moment is
   * corrected to the part before it, so the history is not fed the gateway's own silence.
   */
  public void ownSilenceBegan(long sinceNanos) {
    for (int i = 0; i < Math.min(recentCount, window.length); i++) {
      int r = Math.floorMod(recentNext - 1 - i, RECENT);
      long prev = recentArrivals[r];
      int slot = recentSlots[r];
      if (prev < sinceNanos) {
        long old = window[slot];
        long arrived = prev + old * 1_000_000L;
        if (arrived > sinceNanos) {
          replace(slot, Math.max(0, (sinceNanos - prev) / 1_000_000L));
        }
        break; // older intervals ended before it
      }
    }
  }

  /**
   * Discounts the gateway's own silence from {@code fromNanos} to {@code toNanos}: a device last
   * heard before it is judged as if that time had not passed (its last arrival moves forward by
   * the length of the silence). A device heard since is judged from that heartbeat, as usual.
   */
  public void discount(long fromNanos, long toNanos) {
    if (lastArrivalNanos != Long.MIN_VALUE && lastArrivalNanos < fromNanos && toNanos > fromNanos) {
      lastArrivalNanos += toNanos - fromNanos;
    }
  }

  /** Whether any heartbeat has arrived. */
  public boolean hasHeartbeat() {
    return lastArrivalNanos != Long.MIN_VALUE;
  }

  /** Milliseconds since the last heartbeat, 0 before the first. */
  public long silenceMillis(long nowNanos) {
    return lastArrivalNanos == Long.MIN_VALUE ? 0 : Math.max(0, (nowNanos - lastArrivalNanos) / 1_000_000L);
  }

  /** Suspicion at {@code nowNanos}; 0 before the first heartbeat. */
  public double phi(long nowNanos) {
    if (lastArrivalNanos == Long.MIN_VALUE) {
      return 0;
    }
    return phi(silenceMillis(nowNanos), mean() + settings.acceptablePause().toMillis(), stdDeviation());
  }

  /** Mean of the learned intervals in milliseconds. */
  public double mean() {
    return sum / size;
  }

  /** Standard deviation used: the learned one, at least the configured minimum. */
  public double stdDeviation() {
    double m = mean();
    double variance = Math.max(0, sumSquares / size - m * m);
    return Math.max(Math.sqrt(variance), settings.minStdDeviation().toMillis());
  }

  /**
   * phi for a silence of {@code elapsedMs} under a normal distribution of intervals, with the
   * logistic approximation of its CDF used by Akka (accurate to 1e-4 and cheap).
   */
  static double phi(long elapsedMs, double mean, double std) {
    double y = (elapsedMs - mean) / std;
    double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
    if (elapsedMs > mean) {
      return -Math.log10(e / (1.0 + e));
    }
    return -Math.log10(1.0 - 1.0 / (1.0 + e));
  }

  private void replace(int slot, long intervalMs) {
    long old = window[slot];
    sum += intervalMs - old;
    sumSquares += (double) intervalMs * intervalMs - (double) old * old;
    window[slot] = intervalMs;
  }

  private void add(long intervalMs) {
    if (size == window.length) {
      long old = window[next];
      sum -= old;
      sumSquares -= (double) old * old;
    } else {
      size++;
    }
    window[next] = intervalMs;
    next = (next + 1) % window.length;
    sum += intervalMs;
    sumSquares += (double) intervalMs * intervalMs;
  }

  /**
   * Detector settings.
   *
   * @param windowSize how many recent intervals are learned from
   * @param minStdDeviation floor of the standard deviation, so a very regular device does not
   *     become hair-trigger
   * @param acceptablePause extra silence tolerated on top of the mean (GC pauses, scheduling)
   */
  public record Settings(int windowSize, Duration minStdDeviation, Duration acceptablePause) {
    /** 100 intervals, 100 ms minimum deviation, 100 ms acceptable pause. */
    public static final Settings DEFAULT = new Settings(100, Duration.ofMillis(100), Duration.ofMillis(100));

    public Settings {
      if (windowSize < 2) {
        throw new IllegalArgumentException("windowSize must be >= 2, got " + windowSize);
      }
      if (minStdDeviation.isNegative() || minStdDeviation.isZero()) {
        throw new IllegalArgumentException("minStdDeviation must be > 0, got " + minStdDeviation);
      }
      if (acceptablePause.isNegative()) {
        throw new IllegalArgumentException("acceptablePause must be >= 0, got " + acceptablePause);
      }
    }
  }
}
