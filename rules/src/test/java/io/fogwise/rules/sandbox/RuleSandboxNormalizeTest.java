package io.fogwise.rules.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;

/** How checked expressions are compared with compiled ones. */
class RuleSandboxNormalizeTest {
  @Test
  void whitespaceAndLiteralFormsDoNotMatter() {
    assertEquals("batteryPct < 7.00794", RuleSandbox.normalize("batteryPct  <\n 7.007940"));
    assertEquals(RuleSandbox.normalize("temperatureC > 70"), RuleSandbox.normalize("temperatureC > 70.0"));
    assertEquals(RuleSandbox.normalize("atMillis > 1000L"), RuleSandbox.normalize("atMillis > 1000"));
    assertEquals("p99Micros > $s.latencyObjectiveMs * 1000", RuleSandbox.normalize("p99Micros > $s.latencyObjectiveMs * 1000"));
  }

  @Test
  void anythingElseDoes() {
    assertNotEquals(RuleSandbox.normalize("x > 7.1"), RuleSandbox.normalize("x > 7.01"));
    assertNotEquals(RuleSandbox.normalize("x > 7"), RuleSandbox.normalize("x >= 7"));
    assertNotEquals(RuleSandbox.normalize("id == \"a\""), RuleSandbox.normalize("id == a"));
  }
}
