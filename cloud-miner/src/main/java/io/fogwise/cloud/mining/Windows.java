package io.fogwise.cloud.mining;

import io.fogwise.cloud.history.DeviceSeries;
import io.fogwise.cloud.history.History;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.rules.model.Trend;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * The precursor miner's examples: each device's features (levels and {@link Trend}s, as the
 * gateway computes them) sampled every {@code strideMs}, labelled by the device's loss: windows
 * within the horizon before a {@code DEVICE_LOST} (but not its last guard seconds) are
 * positive, windows on devices that did not die within the horizon negative; the last guard
 * seconds before a loss and the last horizon of a device still alive at the end (its future is
 * unknown) are kept but unlabelled. Absurd values (negative battery, CPU above 100 %, a
 * timestamp before the previous one or after the history's end) are counted and left out.
 */
final class Windows {
  static final byte NEGATIVE = 0;
  static final byte POSITIVE = 1;
  static final byte UNLABELLED = 2;
  static final int FEATURES = Feature.values().length;

  int size;
  double[] x = new double[1024 * FEATURES];
  long[] at = new long[1024];
  int[] device = new int[1024];
  byte[] label = new byte[1024];
  /** Per device index: its loss time, or -1. */
  long[] lossAt;
  String[] deviceNames;
  long badValues;
  long readings;
  int losses;

  static Windows of(History history, long strideMs, long horizonMs, long guardMs) {
    Map<String, Long> lost = new HashMap<>();
    for (AdaptationEvent e : history.events()) {
      if (e.type() == AdaptationEvent.Type.DEVICE_LOST && e.deviceId() != null) {
        lost.putIfAbsent(e.gatewayId() + "/" + e.deviceId(), e.atMillis());
      }
    }
    Windows w = new Windows();
    w.lossAt = new long[history.devices().size()];
    w.deviceNames = new String[history.devices().size()];
    long end = history.toMillis();
    int di = 0;
    for (DeviceSeries s : history.devices()) {
      String key = s.gatewayId() + "/" + s.deviceId();
      Long loss = lost.get(key);
      w.lossAt[di] = loss == null ? -1 : loss;
      w.deviceNames[di] = key;
      if (loss != null) {
        w.losses++;
      }
      w.addDevice(s, di, loss == null ? -1 : loss, end, strideMs, horizonMs, guardMs);
      di++;
    }
    return w;
  }

  private void addDevice(DeviceSeries s, int di, long loss, long end, long strideMs, long horizonMs, long guardMs) {
    Trend cpuT = new Trend();
    Trend tempT = new Trend();
    Trend batT = new Trend();
    Trend memT = new Trend();
    long prev = Long.MIN_VALUE;
    long nextSample = Long.MIN_VALUE;
    double cpu = Double.NaN;
    double temp = Double.NaN;
    double bat = Double.NaN;
    double mem = Double.NaN;
    long[] t = s.atMillis();
    for (int i = 0; i < t.length; i++) {
      readings++;
      if (t[i] < prev || t[i] > end) {
        badValues++;
        continue;
      }
      prev = t[i];
      cpu = valid(s.cpuLoad()[i], 0, 1.0);
      temp = valid(s.temperatureC()[i], -60, 200);
      bat = valid(s.batteryPct()[i], 0, 100);
      mem = valid(s.memoryPct()[i], 0, 100);
      if (!Double.isNaN(mem)) {
        mem = Math.round(mem * 10) / 10.0; // as the gateway's registry rounds it
      }
      cpuT.add(t[i], cpu);
      tempT.add(t[i], temp);
      batT.add(t[i], bat);
      memT.add(t[i], mem);
      if (t[i] < nextSample) {
        continue;
      }
      nextSample = t[i] + strideMs;
      byte l;
      if (loss >= 0) {
        l = t[i] > loss - guardMs ? UNLABELLED : t[i] >= loss - horizonMs ? POSITIVE : NEGATIVE;
      } else {
        l = t[i] > end - horizonMs ? UNLABELLED : NEGATIVE;
      }
      add(di, t[i], l, cpu, temp, bat, mem, cpuT.perMinute(), tempT.perMinute(), batT.perMinute(), memT.perMinute());
    }
  }

  private double valid(double v, double min, double max) {
    if (Double.isNaN(v)) {
      return v; // not reported
    }
    if (!Double.isFinite(v) || v < min || v > max) {
      badValues++;
      return Double.NaN;
    }
    return v;
  }

  private void add(int di, long t, byte l, double cpu, double temp, double bat, double mem, Double cpuTr,
      Double tempTr, Double batTr, Double memTr) {
    if (size == at.length) {
      int n = size * 2;
      x = Arrays.copyOf(x, n * FEATURES);
      at = Arrays.copyOf(at, n);
      device = Arrays.copyOf(device, n);
      label = Arrays.copyOf(label, n);
    }
    int o = size * FEATURES;
    x[o + Feature.BATTERY.ordinal()] = orNeutral(bat, Feature.BATTERY);
    x[o + Feature.TEMPERATURE.ordinal()] = orNeutral(temp, Feature.TEMPERATURE);
    x[o + Feature.MEMORY.ordinal()] = orNeutral(mem, Feature.MEMORY);
    x[o + Feature.CPU.ordinal()] = orNeutral(cpu, Feature.CPU);
    x[o + Feature.BATTERY_TREND.ordinal()] = batTr == null ? 0 : batTr;
    x[o + Feature.TEMPERATURE_TREND.ordinal()] = tempTr == null ? 0 : tempTr;
    x[o + Feature.MEMORY_TREND.ordinal()] = memTr == null ? 0 : memTr;
    x[o + Feature.CPU_TREND.ordinal()] = cpuTr == null ? 0 : cpuTr;
    at[size] = t;
    device[size] = di;
    label[size] = l;
    size++;
  }

  private static double orNeutral(double v, Feature f) {
    return Double.isNaN(v) ? f.neutral() : v;
  }

  double value(int sample, Feature f) {
    return x[sample * FEATURES + f.ordinal()];
  }

  boolean matches(int sample, java.util.List<Condition> path) {
    for (Condition c : path) {
      if (!c.test(value(sample, c.feature()))) {
        return false;
      }
    }
    return true;
  }
}
