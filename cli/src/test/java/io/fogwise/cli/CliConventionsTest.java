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
  void linkDelaysTakeZeroAndFractionsOfAMillisecond() {
    PolicyCommands.DurationConverter d = new PolicyCommands.DelayConverter();
    assertEquals(java.time.Duration.ofNanos(800_000), d.convert("0.8ms"));
    assertEquals(java.time.Duration.ZERO, d.convert("0ms"));
    assertEquals(java.time.Duration.ofMillis(4), d.convert("4ms"));
    var tooLong = org.junit.jupiter.api.Assertions.assertThrows(picocli.CommandLine.TypeConversionException.class,
        () -> d.convert("11s"));
    assertEquals("'11s' must be within [0, 10 s]", tooLong.getMessage());
    var zero = org.junit.jupiter.api.Assertions.assertThrows(picocli.CommandLine.TypeConversionException.class,
        () -> new PolicyCommands.DurationConverter().convert("0s"));
    assertEquals("'0s' must be within (0, 1 h]", zero.getMessage());
  }

  /**
   * One duration syntax everywhere: no visible option carries its unit in its name or takes a
   * plain number of a unit (the old unit-named options stay as hidden, deprecated aliases), and
   * every option of type Duration goes through the one converter.
   */
  @Test
  void everyTimeOptionTakesADuration() {
    java.util.List<String> wrong = new java.util.ArrayList<>();
    java.util.Deque<picocli.CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Fogwise.commandLine()));
    int durations = 0;
    while (!todo.isEmpty()) {
      picocli.CommandLine cl = todo.pop();
      todo.addAll(cl.getSubcommands().values());
      for (picocli.CommandLine.Model.OptionSpec o : cl.getCommandSpec().options()) {
        String where = cl.getCommandSpec().qualifiedName() + " " + o.longestName();
        if (o.type() == java.time.Duration.class) {
          durations++;
          boolean converted = o.converters().length == 1 && o.converters()[0] instanceof PolicyCommands.DurationConverter;
          if (!converted) {
            wrong.add(where + ": a Duration without the DurationConverter");
          }
        } else if (!o.hidden() && (o.longestName().matches(".*-(ms|s|sec|secs|seconds|millis|minutes|hours)$")
            || o.longestName().equals("--minutes") || "SECONDS".equals(o.paramLabel()) || "MS".equals(o.paramLabel()))) {
          wrong.add(where + ": a time as a plain number of a unit");
        }
      }
    }
    assertTrue(wrong.isEmpty(), String.join("\n", wrong));
    assertTrue(durations > 20, "found only " + durations + " Duration options");
  }

  @Test
  void testHelpIsOurs() {
    CliRun help = CliRun.fogwise("test", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().startsWith("Usage: fogwise test"), help.out());
  }
}
