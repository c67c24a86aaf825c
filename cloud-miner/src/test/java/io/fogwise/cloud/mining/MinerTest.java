package io.fogwise.cloud.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.cloud.history.History;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class MinerTest {
  private final Clock clock = Clock.fixed(Instant.parse("2026-02-01T00:00:00Z"), ZoneOffset.UTC);

  @Test
  void tooLittleDataPublishesNothingAndSaysWhy() {
    MiningResult r = Miner.withDefaults(clock).mine(SyntheticFleet.batteryFleet(4, 10, 3, 0));

    assertFalse(r.publishable());
    assertNull(r.drl());
    assertEquals(List.of("too little data for failure precursors: 3 losses, need >= 10"), r.refusals());
    assertTrue(r.summary().contains("not published: too little data for failure precursors: 3 losses, need >= 10"));
  }

  @Test
  void thresholdsArePublishedEvenWithoutRules() {
    History h = new SyntheticFleet(1, 3_600_000).heartbeats("a", 4, 1000, 50).history();

    MiningResult r = Miner.withDefaults(clock).mine(h);

    assertTrue(r.publishable(), r.summary());
    assertNull(r.drl());
    assertTrue(r.parameters().containsKey("detect.phiThreshold@a"));
    assertEquals(clock.millis(), r.atMillis());
    assertTrue(r.findings().stream().anyMatch(f -> f.startsWith("no rules: too little data")), r.summary());
  }
}
