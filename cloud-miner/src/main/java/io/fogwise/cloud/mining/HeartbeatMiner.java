package io.fogwise.cloud.mining;

import io.fogwise.cloud.history.History;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.protocol.AdaptationEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Learns a detection threshold ({@code detect.phiThreshold@<class>}) per device class from the
 * gateways' {@code HEARTBEAT_TIMING} reports: each device's intervals are replayed through the
 * gateway's own {@link PhiAccrualDetector}, the highest suspicion every normal interval reached
 * before its heartbeat arrived is recorded, and the threshold is set just above the suspicion that
 * only the allowed number of false detections (per device-day) exceeded, plus a safety margin.
 */
public final class HeartbeatMiner {
  /** The parameter a mined threshold is published as, followed by {@code @<class>}. */
  public static final String PARAMETER = "detect.phiThreshold";

  private final Options options;

  public HeartbeatMiner(Options options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  /** A miner with {@link Options#DEFAULTS}. */
  public static HeartbeatMiner withDefaults() {
    return new HeartbeatMiner(Options.DEFAULTS);
  }

  /** Mines {@code history}'s heartbeat timing reports: one result per device class seen. */
  public Result mine(History history) {
    Map<String, DeviceIntervals> byDevice = new LinkedHashMap<>();
    long badTokens = 0;
    for (AdaptationEvent e : history.events()) {
      if (e.type() != AdaptationEvent.Type.HEARTBEAT_TIMING || e.deviceId() == null) {
        continue;
      }
      String cls = e.details().get("class");
      String csv = e.details().get("intervalsMs");
      if (cls == null || cls.isBlank() || csv == null) {
        badTokens++;
        continue;
      }
      DeviceIntervals d = byDevice.computeIfAbsent(e.gatewayId() + "/" + e.deviceId(), k -> new DeviceIntervals(cls));
      for (String token : csv.split(",")) {
        long v;
        try {
          v = Long.parseLong(token.strip());
        } catch (NumberFormatException ex) {
          badTokens++;
          continue;
        }
        if (v <= 0 || v > options.maxIntervalMs()) {
          badTokens++; // a gateway pause or a device that returned, not its timing
          continue;
        }
        d.add(v);
      }
    }
    Map<String, List<DeviceIntervals>> byClass = new TreeMap<>();
    byDevice.values().forEach(d -> byClass.computeIfAbsent(d.cls, k -> new ArrayList<>()).add(d));
    List<ClassTiming> classes = new ArrayList<>();
    List<String> refusals = new ArrayList<>();
    for (Map.Entry<String, List<DeviceIntervals>> c : byClass.entrySet()) {
      mineClass(c.getKey(), c.getValue(), classes, refusals);
    }
    return new Result(classes, refusals, badTokens);
  }

  private void mineClass(String cls, List<DeviceIntervals> devices, List<ClassTiming> out, List<String> refusals) {
    int samples = devices.stream().mapToInt(d -> d.size).sum();
    if (samples < options.minIntervals() || devices.size() < options.minDevices()) {
      refusals.add(String.format(Locale.ROOT, "class %s: too little heartbeat timing: %d intervals from %d devices,"
          + " need >= %d from >= %d devices", cls, samples, devices.size(), options.minIntervals(),
          options.minDevices()));
      return;
    }
    long[] all = new long[samples];
    int k = 0;
    double totalMs = 0;
    for (DeviceIntervals d : devices) {
      System.arraycopy(d.values, 0, all, k, d.size);
      k += d.size;
      for (int i = 0; i < d.size; i++) {
        totalMs += d.values[i];
      }
    }
    long[] sorted = all.clone();
    Arrays.sort(sorted);
    long median = sorted[sorted.length / 2];
    double mean = totalMs / samples;
    long p99 = sorted[Math.min(sorted.length - 1, (int) Math.ceil(0.99 * sorted.length) - 1)];
    // the highest suspicion each normal interval reached before its heartbeat arrived
    double[] peaks = new double[samples];
    double[] detectionMs = new double[devices.size()];
    k = 0;
    List<PhiAccrualDetector> detectors = new ArrayList<>();
    long[] lastArrival = new long[devices.size()];
    for (DeviceIntervals d : devices) {
      PhiAccrualDetector det = new PhiAccrualDetector(options.detector(), Duration.ofMillis(median));
      long t = 0;
      det.heartbeat(t);
      for (int i = 0; i < d.size; i++) {
        t += d.values[i] * 1_000_000L;
        peaks[k++] = det.phi(t);
        det.heartbeat(t);
      }
      lastArrival[detectors.size()] = t;
      detectors.add(det);
    }
    double deviceDays = totalMs / 86_400_000.0;
    int allowed = (int) Math.floor(options.falseDetectionsPerDeviceDay() * deviceDays);
    double[] desc = peaks.clone();
    Arrays.sort(desc); // ascending; the (allowed+1)-th largest is desc[n-1-allowed]
    double empirical = allowed >= desc.length ? 0 : desc[desc.length - 1 - allowed];
    double raw = empirical + options.safetyMarginPhi();
    double threshold = Math.ceil(Math.min(options.maxThreshold(), Math.max(options.minThreshold(), raw)) * 10) / 10.0;
    int falseAtThreshold = 0;
    for (double p : peaks) {
      if (p >= threshold) {
        falseAtThreshold++;
      }
    }
    for (int i = 0; i < detectors.size(); i++) {
      detectionMs[i] = silenceToReach(detectors.get(i), lastArrival[i], threshold);
    }
    Arrays.sort(detectionMs);
    out.add(new ClassTiming(cls, devices.size(), samples, mean, median, p99, deviceDays, empirical, threshold,
        raw > options.maxThreshold(), falseAtThreshold, falseAtThreshold / Math.max(deviceDays, 1e-9),
        detectionMs[detectionMs.length / 2]));
  }

  /** The silence after a heartbeat at {@code lastNanos} at which {@code det} reaches {@code threshold}, ms. */
  static long silenceToReach(PhiAccrualDetector det, long lastNanos, double threshold) {
    long lo = 0;
    long hi = 1;
    while (det.phi(lastNanos + hi * 1_000_000L) < threshold && hi < 3_600_000L) {
      hi *= 2;
    }
    while (hi - lo > 1) {
      long mid = (lo + hi) / 2;
      if (det.phi(lastNanos + mid * 1_000_000L) >= threshold) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    return hi;
  }

  /** What the miner found: one timing per class with enough data, and why others got none. */
  public record Result(List<ClassTiming> classes, List<String> refusals, long badValues) {
    public Result {
      classes = List.copyOf(classes);
      refusals = List.copyOf(refusals);
    }

    /** The parameters to publish: {@code detect.phiThreshold@<class>} per class. */
    public Map<String, String> parameters() {
      Map<String, String> m = new TreeMap<>();
      classes.forEach(c -> m.put(PARAMETER + "@" + c.deviceClass(), Double.toString(c.threshold())));
      return m;
    }
  }

  /**
   * One class's heartbeat timing and the threshold chosen for it.
   *
   * @param deviceClass the class
   * @param devices devices that reported
   * @param samples intervals learned from
   * @param meanMs mean interval
   * @param medianMs median interval
   * @param p99Ms 99th percentile interval
   * @param deviceDays observed time, device-days
   * @param empiricalPhi the suspicion only the allowed number of normal intervals reached
   * @param threshold the chosen threshold (margin added, clamped, rounded up to 0.1)
   * @param clamped whether the target needed a threshold above the upper bound
   * @param falseDetections normal intervals whose suspicion reached the threshold (training data)
   * @param falsePerDeviceDay the same per device-day
   * @param detectionMs median silence after a device's last heartbeat until the threshold is reached
   */
  public record ClassTiming(String deviceClass, int devices, int samples, double meanMs, long medianMs, long p99Ms,
      double deviceDays, double empiricalPhi, double threshold, boolean clamped, int falseDetections,
      double falsePerDeviceDay, double detectionMs) {
    /** One line for operators. */
    public String finding() {
      return String.format(Locale.ROOT, "heartbeats of class %s: %d intervals from %d devices (%.2f device-days),"
          + " mean %.0f ms, p99 %d ms; %s@%s = %.1f (%d normal intervals reached it: %.2f per device-day%s);"
          + " a dead device is detected %.0f ms after its last heartbeat", deviceClass, samples, devices, deviceDays,
          meanMs, p99Ms, PARAMETER, deviceClass, threshold, falseDetections, falsePerDeviceDay,
          clamped ? ", target not met within the upper bound" : "", detectionMs);
    }
  }

  /**
   * Heartbeat miner options.
   *
   * @param falseDetectionsPerDeviceDay the target: false detections per device-day at most
   * @param safetyMarginPhi added to the suspicion that meets the target
   * @param minThreshold lowest threshold ever published
   * @param maxThreshold highest threshold ever published
   * @param minIntervals fewest intervals of a class to mine it
   * @param minDevices fewest devices of a class to mine it
   * @param maxIntervalMs longer intervals are a gap (a pause, a device that returned), not timing
   * @param detector the gateway's detector settings
   */
  public record Options(double falseDetectionsPerDeviceDay, double safetyMarginPhi, double minThreshold,
      double maxThreshold, int minIntervals, int minDevices, long maxIntervalMs, PhiAccrualDetector.Settings detector) {
    /** ≤ 1 false detection per device-day, margin 1.0, thresholds 3–30, ≥ 1000 intervals from ≥ 3 devices. */
    public static final Options DEFAULTS = new Options(1.0, 1.0, 3.0, 30.0, 1000, 3, 60_000,
        PhiAccrualDetector.Settings.DEFAULT);

    public Options {
      if (!(falseDetectionsPerDeviceDay >= 0) || !(safetyMarginPhi >= 0) || !(minThreshold > 0)
          || !(maxThreshold >= minThreshold) || minIntervals < 1 || minDevices < 1 || maxIntervalMs < 1) {
        throw new IllegalArgumentException("heartbeat miner options out of range: " + falseDetectionsPerDeviceDay
            + " per device-day, margin " + safetyMarginPhi + ", bounds " + minThreshold + ".." + maxThreshold);
      }
      Objects.requireNonNull(detector, "detector");
    }

    /** The same with another target. */
    public Options withTarget(double perDeviceDay) {
      return new Options(perDeviceDay, safetyMarginPhi, minThreshold, maxThreshold, minIntervals, minDevices,
          maxIntervalMs, detector);
    }

    /** The same with other minimums. */
    public Options withMinimums(int intervals, int devices) {
      return new Options(falseDetectionsPerDeviceDay, safetyMarginPhi, minThreshold, maxThreshold, intervals, devices,
          maxIntervalMs, detector);
    }
  }

  private static final class DeviceIntervals {
    final String cls;
    long[] values = new long[64];
    int size;

    DeviceIntervals(String cls) {
      this.cls = cls;
    }

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = v;
    }
  }
}
