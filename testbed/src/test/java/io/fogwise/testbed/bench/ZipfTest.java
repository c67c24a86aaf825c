package io.fogwise.testbed.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ZipfTest {

  @Test
  void topShareAtExponentOneIsTheRatioOfHarmonicNumbers() {
    Zipf z = new Zipf(10_000, 1.0);
    double h1000 = 0;
    for (int i = 1; i <= 1000; i++) {
      h1000 += 1.0 / i;
    }
    double h10000 = h1000;
    for (int i = 1001; i <= 10_000; i++) {
      h10000 += 1.0 / i;
    }
    assertEquals(h1000 / h10000, z.topShare(1000), 1e-12);
    assertEquals(0.7648, z.topShare(1000), 1e-4); // H(1000) = 7.4855, H(10000) = 9.7876
    assertEquals(0.0, z.topShare(0));
    assertEquals(1.0, z.topShare(10_000));
    assertEquals(1.0, z.topShare(20_000));
  }

  @Test
  void exponentZeroIsUniform() {
    Zipf z = new Zipf(100, 0.0);
    assertEquals(0.25, z.topShare(25), 1e-12);
    assertEquals(0.01, z.probability(0), 1e-12);
    assertEquals(0.01, z.probability(99), 1e-12);
  }

  @Test
  void probabilitiesFollowThePowerLaw() {
    Zipf z = new Zipf(1000, 1.2);
    assertEquals(Math.pow(2, 1.2), z.probability(0) / z.probability(1), 1e-9);
    assertEquals(Math.pow(10, 1.2), z.probability(9) / z.probability(99), 1e-6);
  }

  @Test
  void samplesMatchTheDistribution() {
    Zipf z = new Zipf(10_000, 1.0);
    SplittableRandom random = new SplittableRandom(42);
    int draws = 1_000_000;
    int[] counts = new int[10_000];
    for (int i = 0; i < draws; i++) {
      int k = z.sample(random);
      assertTrue(k >= 0 && k < 10_000, "rank " + k);
      counts[k]++;
    }
    long top1000 = 0;
    for (int k = 0; k < 1000; k++) {
      top1000 += counts[k];
    }
    // the standard error of a share near 0.76 over 1M draws is 0.0004
    assertEquals(z.topShare(1000), top1000 / (double) draws, 0.003);
    assertEquals(z.probability(0), counts[0] / (double) draws, 0.003);
    assertEquals(z.probability(1), counts[1] / (double) draws, 0.003);
    assertTrue(counts[9_999] < 50, "rank 9999 drawn " + counts[9_999] + " times, expected about 10");
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new Zipf(0, 1.0));
    assertThrows(IllegalArgumentException.class, () -> new Zipf(10, -0.5));
    assertThrows(IllegalArgumentException.class, () -> new Zipf(10, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Zipf(10, 1.0).topShare(-1));
  }
}
