package io.fogwise.edge;

import java.util.Locale;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Sensor readings set from outside, by tests or by testbed scripts ({@code set battery 20},
 * {@code set temperature 85}); thread-safe. Readings are empty until set.
 */
public final class ScriptedSensors implements SensorSource {
  private volatile OptionalDouble battery = OptionalDouble.empty();
  private volatile OptionalDouble temperature = OptionalDouble.empty();

  /** Creates sensors with both readings empty; see also {@link SensorSource#scripted()}. */
  public ScriptedSensors() {}

  @Override
  public OptionalDouble batteryPct() {
    return battery;
  }

  @Override
  public OptionalDouble temperatureC() {
    return temperature;
  }

  /** Sets the battery level in percent, 0..100. */
  public ScriptedSensors setBattery(double pct) {
    if (Double.isNaN(pct) || pct < 0 || pct > 100) {
      throw new IllegalArgumentException("battery must be within [0, 100] %, got " + pct);
    }
    battery = OptionalDouble.of(pct);
    return this;
  }

  /** Sets the temperature in degrees Celsius, -100..300. */
  public ScriptedSensors setTemperature(double celsius) {
    if (Double.isNaN(celsius) || celsius < -100 || celsius > 300) {
      throw new IllegalArgumentException("temperature must be within [-100, 300] °C, got " + celsius);
    }
    temperature = OptionalDouble.of(celsius);
    return this;
  }

  /** Makes the battery reading empty (no battery). */
  public ScriptedSensors clearBattery() {
    battery = OptionalDouble.empty();
    return this;
  }

  /** Makes the temperature reading empty. */
  public ScriptedSensors clearTemperature() {
    temperature = OptionalDouble.empty();
    return this;
  }

  /**
   * Applies one script line: {@code set battery <pct>}, {@code set temperature <celsius>},
   * {@code clear battery} or {@code clear temperature}.
   *
   * @throws IllegalArgumentException if the line is none of these
   */
  public ScriptedSensors apply(String line) {
    Objects.requireNonNull(line, "line");
    String[] words = line.trim().toLowerCase(Locale.ROOT).split("\\s+");
    if (words.length == 3 && words[0].equals("set")) {
      double value;
      try {
        value = Double.parseDouble(words[2]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("sensor script '" + line + "': '" + words[2] + "' is not a number");
      }
      switch (words[1]) {
        case "battery":
          return setBattery(value);
        case "temperature":
          return setTemperature(value);
        default:
          break;
      }
    } else if (words.length == 2 && words[0].equals("clear")) {
      switch (words[1]) {
        case "battery":
          return clearBattery();
        case "temperature":
          return clearTemperature();
        default:
          break;
      }
    }
    throw new IllegalArgumentException(
        "sensor script '" + line + "' is not one of: set battery <pct>, set temperature <celsius>,"
            + " clear battery, clear temperature");
  }

  @Override
  public String toString() {
    return "ScriptedSensors[battery=" + battery + ", temperature=" + temperature + "]";
  }
}
