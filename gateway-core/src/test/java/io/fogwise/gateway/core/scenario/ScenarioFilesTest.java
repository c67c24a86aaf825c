package io.fogwise.gateway.core.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Bad scenario files are refused with the file, the line and what is wrong. */
class ScenarioFilesTest {

  private static final String GOOD = """
      name: ok
      duration: 5s
      devices:
        - {id: e1, layer: EDGE}
      timeline:
        - {at: 2s, device: e1, heartbeats: stop}
      expect:
        - {at: 2.8s, within: 300ms, action: declareLost, device: e1}
      """;

  private static ScenarioFileException fails(String text) {
    return assertThrows(ScenarioFileException.class, () -> ScenarioFiles.parse("s.yaml", text));
  }

  @Test
  void aGoodFileReadsIntoAScenario() throws Exception {
    Scenario s = ScenarioFiles.parse("s.yaml", GOOD);
    assertEquals("ok", s.name());
    assertEquals(5000, s.duration());
    assertEquals(1, s.timeline().size());
    Expectation e = s.expected().get(0);
    assertEquals(2500, e.fromMillis());
    assertEquals(3100, e.toMillis());
    assertEquals("s.yaml:8", e.source());
  }

  @Test
  void anUnknownFieldIsNamedWithItsLine() {
    var e = fails(GOOD.replace("{at: 2s, device: e1, heartbeats: stop}", "{at: 2s, device: e1, hartbeats: stop}"));
    assertEquals(6, e.line(), e.getMessage());
    assertTrue(e.getMessage().contains("unknown field 'hartbeats'"), e.getMessage());
    assertTrue(e.getMessage().startsWith("s.yaml:6: timeline.0.hartbeats"), e.getMessage());
  }

  @Test
  void anUnknownDeviceInTheTimelineIsRefused() {
    var e = fails(GOOD.replace("device: e1, heartbeats", "device: e9, heartbeats"));
    assertTrue(e.getMessage().contains("no device 'e9'"), e.getMessage());
    assertEquals(6, e.line());
  }

  @Test
  void aBadDurationSaysWhatIsAccepted() {
    var e = fails(GOOD.replace("duration: 5s", "duration: five seconds"));
    assertEquals(2, e.line());
    assertTrue(e.getMessage().contains("250ms, 2s"), e.getMessage());
  }

  @Test
  void anUnknownActionListsTheKnownOnes() {
    var e = fails(GOOD.replace("action: declareLost", "action: reboot"));
    assertEquals(8, e.line());
    assertTrue(e.getMessage().contains("declareLost, exclude"), e.getMessage());
  }

  @Test
  void anInvalidServiceSpecIsRefusedWithTheProtocolsReason() {
    var e = fails(GOOD + "services:\n  - {name: p, kind: publisher, replicas: 500}\n");
    assertTrue(e.getMessage().contains("replicas"), e.getMessage());
    assertEquals(10, e.line(), e.getMessage());
  }

  @Test
  void notYamlAndEmptyScenariosAreRefused() {
    assertTrue(fails("name: [unclosed\n").getMessage().contains("not valid YAML"));
    assertTrue(fails("just a string").getMessage().contains("mapping"));
    assertTrue(fails(GOOD.replaceAll("(?s)expect:.*", "")).getMessage().contains("must expect something"));
  }

  @Test
  void anEventDoesExactlyOneThing() {
    var e = fails(GOOD.replace("{at: 2s, device: e1, heartbeats: stop}", "{at: 2s, device: e1, heartbeats: stop, temperature: 90}"));
    assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
  }
}
