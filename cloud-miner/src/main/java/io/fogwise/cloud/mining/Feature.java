package io.fogwise.cloud.mining;

import java.util.Locale;

/**
 * A feature the precursor miner learns from: exactly a field of the gateway's {@code Device}
 * fact, so a mined condition reads the same value on the gateway. A missing value (no battery,
 * no trend yet) takes the feature's neutral value in training; the DRL writer turns a condition
 * the neutral value satisfies into {@code (field == null || ...)} and any other into
 * {@code field != null, ...}, so both sides treat a missing value alike.
 */
public enum Feature {
  BATTERY("batteryPct", "battery", "%", 100, 1),
  TEMPERATURE("temperatureC", "temperature", "°C", 20, 1),
  MEMORY("memoryPct", "memory", "%", 0, 1),
  CPU("cpuLoad", "CPU load", "", 0, 3),
  BATTERY_TREND("batteryTrend", "battery trend", "%/min", 0, 2),
  TEMPERATURE_TREND("temperatureTrend", "temperature trend", "°C/min", 0, 2),
  MEMORY_TREND("memoryTrend", "memory trend", "%/min", 0, 2),
  CPU_TREND("cpuTrend", "CPU load trend", "/min", 0, 3);

  private final String field;
  private final String label;
  private final String unit;
  private final double neutral;
  private final int decimals;

  Feature(String field, String label, String unit, double neutral, int decimals) {
    this.field = field;
    this.label = label;
    this.unit = unit;
    this.neutral = neutral;
    this.decimals = decimals;
  }

  /** The {@code Device} field, e.g. {@code batteryPct}. */
  public String field() {
    return field;
  }

  /** A human name, e.g. {@code battery}. */
  public String label() {
    return label;
  }

  /** Its unit as shown to operators. */
  public String unit() {
    return unit;
  }

  /** The value a missing reading takes in training. */
  public double neutral() {
    return neutral;
  }

  /** Whether it is a per-minute trend. */
  public boolean isTrend() {
    return field.endsWith("Trend");
  }

  /** {@code v} rounded to the precision thresholds are published with. */
  public double round(double v) {
    double scale = Math.pow(10, decimals);
    return Math.round(v * scale) / scale;
  }

  /** {@code v} as written in DRL and findings. */
  public String format(double v) {
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }
}
