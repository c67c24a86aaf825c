package io.fogwise.edge;

import java.util.OptionalDouble;
import java.util.SplittableRandom;

/**
 * Where an agent reads the device's battery and temperature for its telemetry. Called from the
 * agent's telemetry thread; implementations must be thread-safe.
 */
public interface SensorSource {

  /** Battery level in percent (0..100), or empty if the device has no battery. */
  OptionalDouble batteryPct();

  /** Temperature in degrees Celsius, or empty if not sensed. */
  OptionalDouble temperatureC();

  /**
   * Simulated sensors for the emulated testbed: a battery that starts between 70 % and 100 % and
   * drains slowly with every reading, and a temperature around 40 °C with noise. The same seed
   * gives the same readings.
   */
  static SensorSource simulated(long seed) {
    return new SimulatedSensors(seed);
  }

  /** A device without sensors: both readings are always empty. */
  static SensorSource none() {
    return NoSensors.INSTANCE;
  }

  /** Sensors whose readings a test or script sets; both start empty. */
  static ScriptedSensors scripted() {
    return new ScriptedSensors();
  }
}

final class NoSensors implements SensorSource {
  static final NoSensors INSTANCE = new NoSensors();

  private NoSensors() {}

  @Override
  public OptionalDouble batteryPct() {
    return OptionalDouble.empty();
  }

  @Override
  public OptionalDouble temperatureC() {
    return OptionalDouble.empty();
  }

  @Override
  public String toString() {
    return "SensorSource.none()";
  }
}

final class SimulatedSensors implements SensorSource {
  /** Drain per reading; at one reading a second a full battery lasts about 80 minutes. */
  private static final double MEAN_DRAIN_PCT = 0.02;

  private static final double MEAN_TEMPERATURE_C = 40.0;

  private final SplittableRandom random;
  private double battery;
  private double drift;

  SimulatedSensors(long seed) {
    this.random = new SplittableRandom(seed);
    this.battery = 70 + 30 * random.nextDouble();
  }

  @Override
  public synchronized OptionalDouble batteryPct() {
    battery = Math.max(0, battery - MEAN_DRAIN_PCT * 2 * random.nextDouble());
    return OptionalDouble.of(battery);
  }

  @Override
  public synchronized OptionalDouble temperatureC() {
    // a slow, bounded random walk plus reading noise
    drift = Math.max(-3, Math.min(3, drift + (random.nextDouble() - 0.5) * 0.4));
    double noise = (random.nextDouble() - 0.5) * 1.0;
    return OptionalDouble.of(MEAN_TEMPERATURE_C + drift + noise);
  }

  @Override
  public String toString() {
    return "SensorSource.simulated(...)";
  }
}
