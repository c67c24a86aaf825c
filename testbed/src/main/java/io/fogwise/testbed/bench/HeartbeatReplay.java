package io.fogwise.testbed.bench;

import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.testbed.fleet.DeviceTrace;
import io.fogwise.testbed.fleet.FleetTrace;
import java.time.Duration;
import java.util.Map;

/**
 * Heartbeat thresholds judged on a trace's arrivals: every device's arrivals replayed through
 * the gateway's {@link PhiAccrualDetector}; a false detection is an interval of a device that
 * was alive in which its suspicion reached the threshold before the next heartbeat; the
 * detection time of a dead device is the silence after its last heartbeat until the threshold.
 */
final class HeartbeatReplay {
  private HeartbeatReplay() {}

  /** One policy's figures. */
  record Figures(long falseDetections, double perDeviceDay, double meanDetectionMs, int deaths) {}

  /** Per-class phi thresholds ({@code thresholds}, class to value; {@code fallback} for the rest). */
  static Figures phi(FleetTrace trace, Map<String, Double> thresholds, double fallback) {
    long falses = 0;
    double deviceMs = 0;
    double detection = 0;
    int deaths = 0;
    for (DeviceTrace d : trace.devices()) {
      long[] a = d.heartbeatArrivalMillis();
      if (a.length < 2) {
        continue;
      }
      double threshold = thresholds.getOrDefault(d.deviceClass(), fallback);
      PhiAccrualDetector det = new PhiAccrualDetector(PhiAccrualDetector.Settings.DEFAULT,
          Duration.ofMillis(d.heartbeatMs()));
      det.heartbeat(0);
      for (int i = 1; i < a.length; i++) {
        long t = (a[i] - a[0]) * 1_000_000L;
        if (det.phi(t) >= threshold) {
          falses++;
        }
        det.heartbeat(t);
      }
      deviceMs += a[a.length - 1] - a[0];
      if (d.deathMillis().isPresent()) {
        long last = (a[a.length - 1] - a[0]) * 1_000_000L;
        long lo = 0;
        long hi = 1;
        while (det.phi(last + hi * 1_000_000L) < threshold) {
          hi *= 2;
        }
        while (hi - lo > 1) {
          long mid = (lo + hi) / 2;
          if (det.phi(last + mid * 1_000_000L) >= threshold) {
            hi = mid;
          } else {
            lo = mid;
          }
        }
        detection += hi;
        deaths++;
      }
    }
    double days = deviceMs / 86_400_000.0;
    return new Figures(falses, falses / days, deaths == 0 ? 0 : detection / deaths, deaths);
  }

  /** A fixed timeout: a device is declared lost after {@code timeoutMs} of silence. */
  static Figures timeout(FleetTrace trace, double timeoutMs) {
    long falses = 0;
    double deviceMs = 0;
    int deaths = 0;
    for (DeviceTrace d : trace.devices()) {
      long[] a = d.heartbeatArrivalMillis();
      if (a.length < 2) {
        continue;
      }
      for (int i = 1; i < a.length; i++) {
        if (a[i] - a[i - 1] >= timeoutMs) {
          falses++;
        }
      }
      deviceMs += a[a.length - 1] - a[0];
      deaths += d.deathMillis().isPresent() ? 1 : 0;
    }
    double days = deviceMs / 86_400_000.0;
    return new Figures(falses, falses / days, timeoutMs, deaths);
  }
}
