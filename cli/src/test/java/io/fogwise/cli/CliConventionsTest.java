package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CLI's conventions that need no runtime: colours, log level, summaries, durations. */
class CliConventionsTest {

  @Test
  void coloursOnlyOnATerminalAndNeverWithNoColor() {
    assertTrue(Output.colours(true, Map.of("TERM", "xterm")));
    assertFalse(Output.colours(false, Map.of("TERM", "xterm")), "not a terminal");
    assertFalse(Output.colours(true, Map.of("NO_COLOR", "1")), "NO_COLOR");
    assertFalse(Output.colours(true, Map.of("TERM", "dumb")));
    assertEquals("\u001b[31mFAILING\u001b[0m", Output.paint("FAILING", true));
    assertEquals("FAILING", Output.paint("FAILING", false));
  }

  @Test
  void theLogLevelComesFromTheOptionOrTheEnvironment() {
    assertEquals("debug", Fogwise.logLevel(new String[] {"gateway", "--log-level", "DEBUG"}, null));
    assertEquals("warn", Fogwise.logLevel(new String[] {"edge", "--log-level=warn"}, "debug"), "the option wins");
    assertEquals("trace", Fogwise.logLevel(new String[] {"edge"}, "trace"));
    assertNull(Fogwise.logLevel(new String[] {"edge", "--log-level", "loud"}, null), "left to the option's check");
    assertNull(Fogwise.logLevel(new String[] {"instance", "--", "--log-level", "debug"}, null));
  }

  @Test
  void summariesAreWholeSentences() {
    assertEquals("Run the closed loop on this machine: hub, gateway and five agents as separate processes, the"
        + " paper's publisher/subscriber app, then SIGKILL the publisher's device and watch the failover.",
        Summaries.firstSentence("Run the closed loop on this machine: hub, gateway and five agents as separate"
            + " processes,\n the paper's publisher/subscriber app, then SIGKILL the publisher's device and watch the"
            + " failover. It prints a summary."));
    assertEquals("Benchmarks; each writes JSON to bench-results/ (summarised in docs/benchmarks.md).",
        Summaries.firstSentence("Benchmarks; each writes JSON to bench-results/ (summarised in docs/benchmarks.md)."));
    assertEquals("Keys (e.g. ops.key) are kept.", Summaries.firstSentence("Keys (e.g. ops.key) are kept. More."));
    String help = CliRun.fogwise("--help").out();
    assertTrue(help.contains("  demo        Run the closed loop on this machine: hub, gateway and five agents as separate"),
        help);
    assertFalse(help.lines().anyMatch(l -> l.endsWith(" (leaf node through the link")), help);
  }

  @Test
  void oneDurationSyntaxWithBareSecondsAsBefore() {
    PolicyCommands.DurationConverter d = new PolicyCommands.DurationConverter();
    assertEquals(java.time.Duration.ofMillis(500), d.convert("500ms"));
    assertEquals(java.time.Duration.ofSeconds(10), d.convert("10s"));
    assertEquals(java.time.Duration.ofMinutes(2), d.convert("2m"));
    assertEquals(java.time.Duration.ofMillis(1500), d.convert("1.5"), "a bare number is seconds");
  }

  @Test
  void testHelpIsOurs() {
    CliRun help = CliRun.fogwise("test", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().startsWith("Usage: fogwise test"), help.out());
  }
}
