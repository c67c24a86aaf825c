package io.fogwise.cloud.mining;

import io.fogwise.cloud.history.DeviceSeries;
import io.fogwise.cloud.history.History;
import io.fogwise.protocol.AdaptationEvent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/** Small synthetic histories for the miners' unit tests: readings every second, losses with or without a precursor. */
final class SyntheticFleet {
  static final long START = 1_767_225_600_000L; // 2026-01-01T00:00Z
  static final String GW = "gw-1";

  private final SplittableRandom random;
  private final List<DeviceSeries> devices = new ArrayList<>();
  private final List<AdaptationEvent> events = new ArrayList<>();
  private final long durationMs;
  private long seq;

  SyntheticFleet(long seed, long durationMs) {
    this.random = new SplittableRandom(seed);
    this.durationMs = durationMs;
  }

  /** A device that lives to the end; {@code dips} charging dips (a fast fall of 15 points at a high level). */
  SyntheticFleet healthy(String id, int dips) {
    return device(id, -1, false, dips, 0);
  }

  /** A device whose battery drains to 0 over the last {@code precursorS} seconds before it dies at {@code deathMs}. */
  SyntheticFleet drains(String id, long deathMs, int precursorS) {
    return device(id, deathMs, true, 0, precursorS);
  }

  /** A device that dies at {@code deathMs} with no precursor. */
  SyntheticFleet crashes(String id, long deathMs) {
    return device(id, deathMs, false, 0, 0);
  }

  /** Sets every {@code every}-th battery reading of the last device to NaN and one to an absurd value. */
  SyntheticFleet withGaps(int every) {
    DeviceSeries d = devices.get(devices.size() - 1);
    for (int i = 0; i < d.size(); i += every) {
      d.batteryPct()[i] = Double.NaN;
    }
    d.batteryPct()[1] = -40;
    d.cpuLoad()[2] = Double.POSITIVE_INFINITY;
    return this;
  }

  private SyntheticFleet device(String id, long deathMs, boolean drain, int dips, int precursorS) {
    long end = deathMs < 0 ? durationMs : deathMs;
    int n = (int) (end / 1000);
    long[] at = new long[n];
    double[] cpu = new double[n];
    double[] mem = new double[n];
    double[] bat = new double[n];
    double[] temp = new double[n];
    double level = 60 + 40 * random.nextDouble();
    long[] dipAt = new long[dips];
    for (int k = 0; k < dips; k++) {
      dipAt[k] = 120_000 + random.nextLong(Math.max(1, durationMs - 300_000));
    }
    for (int i = 0; i < n; i++) {
      long t = i * 1000L;
      at[i] = START + t + random.nextInt(30);
      double b = level - 2.0 * t / 3_600_000.0;
      for (long d : dipAt) {
        if (t >= d && t < d + 60_000) {
          long x = t - d;
          b -= x < 20_000 ? 15.0 * x / 20_000 : 15.0 * (60_000 - x) / 40_000;
        }
      }
      if (drain && t >= end - precursorS * 1000L) {
        double progress = (t - (end - precursorS * 1000L)) / (precursorS * 1000.0);
        b = b * (1 - progress);
      }
      bat[i] = Math.max(0, b + random.nextGaussian() * 0.2);
      cpu[i] = Math.min(1, Math.max(0, 0.2 + random.nextGaussian() * 0.03));
      mem[i] = 40 + 10 * ((t % 60_000) / 60_000.0) + random.nextGaussian() * 0.5;
      temp[i] = 35 + random.nextGaussian() * 0.5;
    }
    devices.add(new DeviceSeries(GW, id, "sensor", at, cpu, mem, bat, temp));
    events.add(event(START, AdaptationEvent.Type.DEVICE_JOINED, id, Map.of("class", "sensor")));
    if (deathMs >= 0) {
      events.add(event(START + deathMs + 3000, AdaptationEvent.Type.DEVICE_LOST, id, Map.of()));
    }
    return this;
  }

  /** Adds heartbeat timing reports for {@code devices} devices of {@code cls}: {@code intervalMs} plus Gaussian jitter. */
  SyntheticFleet heartbeats(String cls, int devices, int intervalMs, double jitterMs) {
    for (int d = 0; d < devices; d++) {
      String id = cls + "-" + d;
      for (long t = 30_000; t < durationMs; t += 30_000) {
        StringBuilder csv = new StringBuilder();
        for (long s = 0; s < 30_000; s += intervalMs) {
          long v = Math.max(1, Math.round(intervalMs + random.nextGaussian() * jitterMs));
          csv.append(csv.length() == 0 ? "" : ",").append(v);
        }
        events.add(event(START + t, AdaptationEvent.Type.HEARTBEAT_TIMING, id,
            Map.of("class", cls, "intervalsMs", csv.toString())));
      }
    }
    return this;
  }

  History history() {
    List<AdaptationEvent> sorted = new ArrayList<>(events);
    sorted.sort(Comparator.comparingLong(AdaptationEvent::atMillis));
    return History.of(devices, sorted, START, START + durationMs);
  }

  private AdaptationEvent event(long at, AdaptationEvent.Type type, String device, Map<String, String> details) {
    return new AdaptationEvent(GW, seq++, at, type, device, null, 0, null, type.name(), details);
  }

  /** A fleet of {@code survivors} healthy devices with charging dips and {@code drains} battery-drain losses and {@code crashes} crashes, spread over time. */
  static History batteryFleet(long seed, int survivors, int drains, int crashes) {
    long duration = 3_600_000;
    SyntheticFleet f = new SyntheticFleet(seed, duration);
    for (int i = 0; i < survivors; i++) {
      f.healthy("s-" + i, 2);
    }
    for (int i = 0; i < drains; i++) {
      f.drains("d-" + i, 600_000 + (duration - 700_000) * i / Math.max(1, drains), 60 + 40 * (i % 4));
    }
    for (int i = 0; i < crashes; i++) {
      f.crashes("c-" + i, 650_000 + (duration - 700_000) * i / Math.max(1, crashes));
    }
    return f.history();
  }
}
