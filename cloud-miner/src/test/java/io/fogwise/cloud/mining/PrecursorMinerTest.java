package io.fogwise.cloud.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.cloud.history.History;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrecursorMinerTest {
  @Test
  void lossesPrecededByABatteryDrainYieldABatteryRule() {
    PrecursorMiner.Result r = PrecursorMiner.withDefaults().mine(SyntheticFleet.batteryFleet(1, 30, 20, 0));

    assertEquals(List.of(), r.refusals());
    assertFalse(r.rules().isEmpty(), r.findings().toString());
    PrecursorRule first = r.rules().get(0);
    assertTrue(onBattery(first), first.toString());
    assertTrue(first.confidence() >= 0.9, first.toString());
    assertTrue(first.support() >= 20, first.toString());
    assertEquals(first.validationDevices(), first.validationDied(), first.toString());
  }

  @Test
  void crashesAmongTheLossesOnlyLowerTheirOwnLeaves() {
    PrecursorMiner.Result r = PrecursorMiner.withDefaults().mine(SyntheticFleet.batteryFleet(2, 30, 16, 8));

    assertFalse(r.rules().isEmpty(), r.findings().toString());
    assertTrue(onBattery(r.rules().get(0)), r.rules().toString());
  }

  @Test
  void onlyCrashesYieldNoRuleAndSayWhy() {
    PrecursorMiner.Result r = PrecursorMiner.withDefaults().mine(SyntheticFleet.batteryFleet(3, 30, 0, 20));

    assertEquals(List.of(), r.rules());
    assertEquals(1, r.refusals().size());
    assertTrue(r.refusals().get(0).startsWith("no failure precursor found"), r.refusals().get(0));
  }

  @Test
  void tooLittleDataRefuses() {
    PrecursorMiner.Result r = PrecursorMiner.withDefaults().mine(SyntheticFleet.batteryFleet(4, 10, 3, 0));

    assertEquals(List.of(), r.rules());
    assertEquals(List.of("too little data for failure precursors: 3 losses, need >= 10"), r.refusals());
  }

  @Test
  void missingAndAbsurdValuesAreLeftOutAndCounted() {
    SyntheticFleet f = new SyntheticFleet(5, 3_600_000);
    for (int i = 0; i < 30; i++) {
      f.healthy("s-" + i, 2).withGaps(7);
    }
    for (int i = 0; i < 20; i++) {
      f.drains("d-" + i, 600_000 + 2_900_000L * i / 20, 120).withGaps(5);
    }
    History h = f.history();

    PrecursorMiner.Result r = PrecursorMiner.withDefaults().mine(h);

    assertEquals(2 * 50, r.badValues()); // one negative battery, one infinite CPU load per device; NaN is "not reported"
    assertFalse(r.rules().isEmpty(), r.findings().toString());
    assertTrue(onBattery(r.rules().get(0)), r.rules().toString());
  }

  @Test
  void aPathKeepsTheTightestBoundPerFeatureAndDirection() {
    List<Condition> path = PrecursorMiner.simplify(List.of(new Condition(Feature.BATTERY, true, 30),
        new Condition(Feature.MEMORY, false, 10), new Condition(Feature.BATTERY, true, 12.5),
        new Condition(Feature.BATTERY, false, 2)));

    assertEquals(List.of(new Condition(Feature.BATTERY, true, 12.5), new Condition(Feature.MEMORY, false, 10),
        new Condition(Feature.BATTERY, false, 2)), path);
  }

  static boolean onBattery(PrecursorRule r) {
    return r.conditions().stream().anyMatch(c -> c.atMost()
        && (c.feature() == Feature.BATTERY || c.feature() == Feature.BATTERY_TREND));
  }
}
