package io.fogwise.cloud.mining;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DrlWriterTest {
  static final List<PrecursorRule> RULES = List.of(
      new PrecursorRule(1, List.of(new Condition(Feature.BATTERY, true, 11.8), new Condition(Feature.BATTERY_TREND,
          true, -1.4)), 412, 424, 0.9717, 9, 9, 41_000),
      new PrecursorRule(2, List.of(new Condition(Feature.TEMPERATURE, false, 71.5), new Condition(
          Feature.TEMPERATURE_TREND, false, -0.5)), 120, 130, 0.923, 4, 4, 30_000));

  @Test
  void rulesCarryTheirEvidenceAndDrainTheDevice() {
    String drl = DrlWriter.write(RULES, SyntheticFleet.START, SyntheticFleet.START + 7_200_000, 300_000);

    assertTrue(drl.contains("rule \"mined: failure precursor 1\" @support(412) @confidence(0.97)"
        + " @window(\"2026-01-01T00:00Z/2026-01-01T02:00Z\")"), drl);
    assertTrue(drl.contains("// drain a device whose battery <= 11.8 % and battery trend <= -1.40 %/min: 424 training"
        + " windows, 97 % of them died within 5 min; on held-out data 9 of 9 devices it matched died (median 41 s"
        + " later); data 01-01 00:00–01-01 02:00"), drl);
    assertTrue(drl.contains("$d : Device( state == DeviceState.ALIVE, quarantined == false, batteryPct != null,"
        + " batteryPct <= 11.8, batteryTrend != null, batteryTrend <= -1.40 )"), drl);
    // a missing trend (neutral 0) passes "> -0.5": the rule must let a missing value pass too
    assertTrue(drl.contains("temperatureC != null, temperatureC > 71.5, (temperatureTrend == null ||"
        + " temperatureTrend > -0.50)"), drl);
    assertTrue(drl.contains("actions.quarantine($d, \"mined failure precursor 1: battery <= 11.8 % and battery trend"
        + " <= -1.40 %/min\");"), drl);
  }

  @Test
  void theDrlCompilesWithTheBuiltInPacksInTheSandbox() throws Exception {
    String drl = DrlWriter.write(RULES, SyntheticFleet.START, SyntheticFleet.START + 7_200_000, 300_000);
    List<RuleSource> sources = new ArrayList<>(RuleSet.builtInPacks());
    sources.add(new RuleSource("mined/precursors.drl", drl));

    RuleSet set = RuleSet.compile("mined", sources);

    assertTrue(set.ruleNames().stream().anyMatch(n -> n.endsWith("mined: failure precursor 1")), set.ruleNames()
        .toString());
    assertTrue(set.ruleNames().stream().anyMatch(n -> n.endsWith("mined: failure precursor 2")));
  }

  @Test
  void noRulesNoDrl() {
    assertNull(DrlWriter.write(List.of(), 0, 1, 300_000));
  }

  @Test
  void aMinedBatteryRuleCompiles() throws Exception {
    MiningResult r = Miner.withDefaults(java.time.Clock.systemUTC()).mine(SyntheticFleet.batteryFleet(7, 30, 20, 4));
    assertTrue(r.publishable(), r.summary());
    List<RuleSource> sources = new ArrayList<>(RuleSet.builtInPacks());
    sources.add(new RuleSource("mined/precursors.drl", r.drl()));

    RuleSet set = RuleSet.compile("mined", sources);

    assertTrue(set.ruleNames().stream().anyMatch(n -> n.contains("mined: failure precursor")));
    assertEquals(List.of(), r.refusals());
  }
}
