package io.fogwise.gateway.core.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PhiAccrualDetectorTest {
  private static final long MS = 1_000_000L;
  private final PhiAccrualDetector.Settings settings = PhiAccrualDetector.Settings.DEFAULT;

  private PhiAccrualDetector regular(int beats, long intervalMs) {
    PhiAccrualDetector d = new PhiAccrualDetector(settings, Duration.ofMillis(intervalMs));
    for (int i = 0; i < beats; i++) {
      d.heartbeat(i * intervalMs * MS);
    }
    return d;
  }

  @Test
  void suspicionIsZeroBeforeTheFirstHeartbeat() {
    PhiAccrualDetector d = new PhiAccrualDetector(settings, Duration.ofMillis(200));
    assertEquals(0, d.phi(10_000 * MS));
  }

  @Test
  void suspicionGrowsMonotonicallyWithSilence() {
    PhiAccrualDetector d = regular(50, 200);
    long last = 49 * 200 * MS;
    double prev = -1;
    for (long silence = 0; silence <= 2000; silence += 10) {
      double phi = d.phi(last + silence * MS);
      assertTrue(phi >= prev, "phi must not decrease: " + prev + " -> " + phi + " at " + silence);
      prev = phi;
    }
  }

  @Test
  void aRegular200msDeviceToleratesA600msGapAndIsSuspectedBefore900ms() {
    PhiAccrualDetector d = regular(100, 200);
    long last = 99 * 200 * MS;
    assertTrue(d.phi(last + 600 * MS) < 8, "600 ms gap: " + d.phi(last + 600 * MS));
    assertTrue(d.phi(last + 700 * MS) < 8, "700 ms gap: " + d.phi(last + 700 * MS));
    assertTrue(d.phi(last + 900 * MS) >= 8, "900 ms gap: " + d.phi(last + 900 * MS));
  }

  @Test
  void theExpectedIntervalSeedsAJudgementFromTheFirstHeartbeat() {
    PhiAccrualDetector d = new PhiAccrualDetector(settings, Duration.ofMillis(200));
    d.heartbeat(0);
    assertTrue(d.phi(300 * MS) < 1);
    assertTrue(d.phi(2000 * MS) > 8);
  }

  @Test
  void anIrregularDeviceEarnsMoreTolerance() {
    PhiAccrualDetector steady = regular(100, 200);
    PhiAccrualDetector bursty = new PhiAccrualDetector(settings, Duration.ofMillis(200));
    long t = 0;
    for (int i = 0; i < 100; i++) {
      t += (i % 4 == 0) ? 600 : 100;
      bursty.heartbeat(t * MS);
    }
    double steadyPhi = steady.phi((99 * 200 + 800) * MS);
    double burstyPhi = bursty.phi((t + 800) * MS);
    assertTrue(burstyPhi < steadyPhi, burstyPhi + " < " + steadyPhi);
  }

  @Test
  void settingsAreChecked() {
    assertThrows(IllegalArgumentException.class,
        () -> new PhiAccrualDetector.Settings(1, Duration.ofMillis(1), Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> new PhiAccrualDetector.Settings(10, Duration.ZERO, Duration.ZERO));
  }

  @Test
  void theGatewaysOwnSilenceIsDiscountedFromTheDevicesSilence() {
    PhiAccrualDetector d = regular(50, 200);
    long last = 49 * 200 * MS;
    d.discount(last + 100 * MS, last + 3100 * MS); // deaf for 3 s, 100 ms after the last heartbeat
    assertEquals(100, d.silenceMillis(last + 3100 * MS), "only the part before the gateway went deaf counts");
    assertTrue(d.phi(last + 3300 * MS) < 1);
    PhiAccrualDetector heard = regular(50, 200);
    heard.discount(last - 1000 * MS, last - 500 * MS); // heard since: judged from that heartbeat
    assertEquals(300, heard.silenceMillis(last + 300 * MS));
  }

  @Test
  void anIntervalSpanningTheStartOfTheGatewaysPauseIsNotLearned() {
    PhiAccrualDetector d = regular(100, 200);
    long last = 99 * 200 * MS;
    d.heartbeat(last + 1700 * MS); // buffered during a 1.5 s pause, taken in before the pause was noticed
    d.heartbeat(last + 1705 * MS);
    assertTrue(d.mean() > 210, "learned the pause: " + d.mean());
    d.ownSilenceBegan(last + 150 * MS);
    assertTrue(d.mean() < 200, "the spanning interval is cut to the part before the pause: " + d.mean());
    double mean = d.mean();
    d.heartbeat(last + 1900 * MS, false);
    assertEquals(mean, d.mean(), "nothing learned while the gateway is deaf");
  }
}
