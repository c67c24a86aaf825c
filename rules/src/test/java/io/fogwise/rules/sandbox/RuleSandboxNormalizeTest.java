package io.fogwise.rules.sandbox;

import io.fogwise.rules.source.RuleSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How checked expressions are compared with compiled ones. */
class RuleSandboxNormalizeTest {
  @Test
  void whitespaceAndLiteralFormsDoNotMatter() {
    assertEquals("batteryPct<7.00794", RuleSandbox.normalize("batteryPct  <\n 7.007940"));
    assertEquals(RuleSandbox.normalize("a * b"), RuleSandbox.normalize("a*b"));
    assertEquals("x instanceof Y", RuleSandbox.normalize("x  instanceof\tY"));
    assertEquals(RuleSandbox.normalize("temperatureC > 70"), RuleSandbox.normalize("temperatureC > 70.0"));
    assertEquals(RuleSandbox.normalize("atMillis > 1000L"), RuleSandbox.normalize("atMillis > 1000"));
    assertEquals("p99Micros>$s.latencyObjectiveMs*1000", RuleSandbox.normalize("p99Micros > $s.latencyObjectiveMs * 1000"));
  }

  @Test
  void subExpressionsOfCheckedConditionsCountAsChecked() {
    RuleSandbox.Prepared p = RuleSandbox.checkConditions(java.util.List.of(new io.fogwise.rules.source.RuleSource("a.drl", """
        package a
        import io.fogwise.rules.model.LatencyReading
        import io.fogwise.rules.model.Service
        rule "r"
        when
            $s : Service( latencyObjectiveMs != null )
            LatencyReading( service == $s.name, p99Micros > $s.latencyObjectiveMs * 1000 )
        then
        end
        """)));
    assertEquals(java.util.List.of(), p.errors());
    assertTrue(p.checked().contains(RuleSandbox.normalize("latencyObjectiveMs * 1000")), p.checked().toString());
    assertTrue(p.checked().contains(RuleSandbox.normalize("service == $s.name")), p.checked().toString());
    assertEquals(java.util.Set.of("a.r"), p.ruleNames());
  }

  @Test
  void anythingElseDoes() {
    assertNotEquals(RuleSandbox.normalize("x > 7.1"), RuleSandbox.normalize("x > 7.01"));
    assertNotEquals(RuleSandbox.normalize("x > 7"), RuleSandbox.normalize("x >= 7"));
    assertNotEquals(RuleSandbox.normalize("id == \"a\""), RuleSandbox.normalize("id == a"));
  }
}
