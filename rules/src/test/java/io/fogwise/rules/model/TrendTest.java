package io.fogwise.rules.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TrendTest {
  @Test
  void aSteadyDrainIsItsSlopePerMinute() {
    Trend t = new Trend();
    for (int s = 0; s <= 60; s++) {
      t.add(s * 1000L, 80 - 2.0 * s / 60); // 2 points a minute
    }
    assertEquals(-2.0, t.perMinute(), 0.01);
  }

  @Test
  void noTrendUntilEnoughReadingsSpanHalfTheWindow() {
    Trend t = new Trend();
    for (int i = 0; i < Trend.MIN_POINTS - 1; i++) {
      t.add(i * 10_000L, i);
    }
    assertNull(t.perMinute(), "too few readings");
    Trend dense = new Trend();
    for (int i = 0; i < 20; i++) {
      dense.add(i * 1000L, i); // 19 s of readings
    }
    assertNull(dense.perMinute(), "readings span less than half the window");
    dense.add(31_000, 31);
    assertEquals(60.0, dense.perMinute(), 0.01);
  }

  @Test
  void onlyTheLastMinuteCountsAndNaNIsIgnored() {
    Trend t = new Trend();
    for (int s = 0; s < 600; s++) { // rising for 10 minutes ...
      t.add(s * 1000L, s / 60.0);
    }
    for (int s = 600; s < 661; s++) { // ... then flat for one
      t.add(s * 1000L, s % 2 == 0 ? Double.NaN : 10.0);
    }
    assertEquals(0.0, t.perMinute(), 0.01);
  }

  @Test
  void noiseAveragesOutAndHoursOfReadingsStayPrecise() {
    Random r = new Random(7);
    Trend t = new Trend();
    long base = 1_767_225_600_000L; // epoch milliseconds: the sums must not lose precision
    for (int s = 0; s < 6 * 3600; s++) {
      t.add(base + s * 1000L, 50 + 0.5 * s / 60.0 + r.nextGaussian() * 0.2);
    }
    assertEquals(0.5, t.perMinute(), 0.1);
    t.clear();
    assertNull(t.perMinute());
  }
}
