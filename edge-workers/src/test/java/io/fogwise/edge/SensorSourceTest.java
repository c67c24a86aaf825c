package io.fogwise.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class SensorSourceTest {

  @Test
  void scriptedSensorsAreEmptyUntilSet() {
    ScriptedSensors s = SensorSource.scripted();
    assertEquals(OptionalDouble.empty(), s.batteryPct());
    s.apply("set battery 20").apply("  SET temperature 85.5 ");
    assertEquals(OptionalDouble.of(20), s.batteryPct());
    assertEquals(OptionalDouble.of(85.5), s.temperatureC());
    s.apply("clear battery");
    assertEquals(OptionalDouble.empty(), s.batteryPct());
  }

  @Test
  void scriptedSensorsRejectNonsense() {
    ScriptedSensors s = new ScriptedSensors();
    assertThrows(IllegalArgumentException.class, () -> s.apply("set battery lots"));
    assertThrows(IllegalArgumentException.class, () -> s.apply("set humidity 3"));
    assertThrows(IllegalArgumentException.class, () -> s.apply("set battery 101"));
    assertThrows(IllegalArgumentException.class, () -> s.setTemperature(Double.NaN));
  }

  @Test
  void simulatedSensorsDrainSlowlyAndStayNear40Degrees() {
    SensorSource s = SensorSource.simulated(42);
    double first = s.batteryPct().getAsDouble();
    double last = first;
    for (int i = 0; i < 1000; i++) {
      double b = s.batteryPct().getAsDouble();
      assertTrue(b <= last, "battery never charges");
      last = b;
      double t = s.temperatureC().getAsDouble();
      assertTrue(t > 35 && t < 45, "temperature " + t);
    }
    assertTrue(first - last > 5 && first - last < 40, "drained " + (first - last) + " % in 1000 readings");
    assertEquals(SensorSource.simulated(7).batteryPct(), SensorSource.simulated(7).batteryPct(), "seeded");
  }

  @Test
  void noSensors() {
    assertTrue(SensorSource.none().batteryPct().isEmpty());
    assertTrue(SensorSource.none().temperatureC().isEmpty());
  }
}
