package io.fogwise.gateway.swarm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SwarmNamesTest {
  private static void fitsSwarm(String name) {
    assertTrue(name.matches("[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]") && name.length() <= 63, name);
  }

  @Test
  void aPlainNameIsReadable() {
    assertEquals("fw-gw-1-publisher-2", SwarmNames.service("gw-1", "publisher", 2));
  }

  @Test
  void underscoresAndLengthAreMadeFitWithAHashThatKeepsNamesApart() {
    String a = SwarmNames.service("gw_1", "svc", 1);
    String b = SwarmNames.service("gw-1", "svc", 1);
    fitsSwarm(a);
    assertNotEquals(a, b, "gw_1 and gw-1 must not share a Swarm service");
    String longest = SwarmNames.service("g".repeat(64), "s".repeat(64), 100);
    fitsSwarm(longest);
    assertTrue(longest.endsWith("-100"), longest);
  }

  @Test
  void secretNamesStayShort() {
    String s = SwarmNames.secret(SwarmNames.service("g".repeat(64), "s".repeat(64), 1), Long.MAX_VALUE, "abcdef");
    assertTrue(s.length() <= SwarmNames.MAX_SECRET_NAME, s);
  }
}
