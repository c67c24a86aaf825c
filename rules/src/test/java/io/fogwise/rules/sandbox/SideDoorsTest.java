package io.fogwise.rules.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.rules.Action;
import io.fogwise.rules.host.RuleCompilationException;
import io.fogwise.rules.source.RuleError;
import io.fogwise.rules.host.RuleHost;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import io.fogwise.rules.model.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every expression a rule file contains goes through the sandbox, not only right-hand sides and
 * constraints: attributes, {@code from}/{@code accumulate}/{@code collect} sources, {@code eval},
 * queries, globals, declarations and windows; and sizes a rule writes down are limited.
 */
class SideDoorsTest {
  private static final String HEAD = """
      package t
      import io.fogwise.rules.model.Device;
      import io.fogwise.rules.model.Tick;
      global io.fogwise.rules.Actions actions;
      """;

  private static List<RuleError> check(String drl) {
    return RuleSandbox.check(List.of(new RuleSource("r.drl", drl)));
  }

  /** Asserts exactly one error, at {@code line:column}, whose message contains every part. */
  private static RuleError assertOneError(String drl, int line, int column, String... parts) {
    List<RuleError> errors = check(drl);
    assertEquals(1, errors.size(), errors.toString());
    RuleError e = errors.get(0);
    assertEquals("r.drl", e.file());
    assertEquals(line + ":" + column, e.line() + ":" + e.column(), e.toString());
    for (String part : parts) {
      assertTrue(e.message().contains(part), "'" + part + "' not in " + e);
    }
    return e;
  }

  @Test
  void salienceIsCheckedAndTheShellNeverRuns(@TempDir Path dir) {
    Path marker = dir.resolve("pwned");
    String drl = HEAD + """
        rule "R" salience ( java.lang.Runtime.getRuntime().exec("touch %s") == null ? 1 : 2 )
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """.formatted(marker);
    List<RuleError> errors = check(drl);
    RuleError e = errors.get(0);
    assertTrue(e.message().contains("rule \"R\": calls java.lang.Runtime.getRuntime()")
        && e.message().contains("not allowed in a rule's salience"), errors.toString());
    assertTrue(e.toString().startsWith("r.drl:5:21: rule \"R\": "), e.toString());
    RuleCompilationException ce = assertThrows(RuleCompilationException.class,
        () -> RuleSet.compile("t", List.of(new RuleSource("r.drl", drl))));
    assertEquals(e, ce.errors().get(0));
    assertFalse(Files.exists(marker), "nothing of the rule ran");
  }

  @Test
  void enabledIsChecked() {
    String drl = HEAD + """
        rule "R"
            enabled ( java.lang.System.exit(66) == null )
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    assertOneError(drl, 6, 15, "calls java.lang.System.exit(...)", "not allowed in a rule's enabled");
  }

  @Test
  void dynamicSalienceAndEnabledThatOnlyReadFactsAreAllowedAndRun() throws Exception {
    String drl = HEAD + """
        rule "Low" salience ( $d.phi * 10 ) enabled ( $d.id != "off" )
        when
            $d : Device()
        then
            actions.alert("low " + $d.getId());
        end
        rule "High" salience 1000 enabled true no-loop true
        when
            $d : Device()
        then
            actions.alert("high " + $d.getId());
        end
        """;
    RuleSet set = RuleSet.compile("t", List.of(new RuleSource("r.drl", drl)));
    try (RuleHost host = new RuleHost(set, new ManualClock(1_000))) {
      host.putDevice(new Device("a", Layer.EDGE, "default", Map.of()));
      host.putDevice(new Device("off", Layer.EDGE, "default", Map.of()));
      List<String> fired = host.evaluate().actions().stream().map(Action::reason).toList();
      assertEquals(List.of("high", "high", "low"), fired.stream().map(r -> r.split(" ")[0]).toList(), fired.toString());
      assertTrue(fired.contains("low a") && !fired.contains("low off"), fired.toString());
    }
    // and the compiled form, whose salience and enabled expressions are MVEL, loads: they were checked
    RuleSet loaded = RuleSet.load("t", set.sources(), set.exportCompiled());
    assertEquals(set.ruleNames(), loaded.ruleNames());
  }

  @Test
  void datesMustBeDates() {
    String drl = HEAD + """
        rule "R"
            date-effective "${java.lang.System.exit(66)}"
            date-expires "1-Jan-2099"
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    assertOneError(drl, 6, 20, "date-effective", "only a date such as 1-Jan-2027");
    assertEquals(List.of(), check(drl.replace("\"${java.lang.System.exit(66)}\"", "\"1-Jan-2020 08:00\"")));
  }

  @Test
  void durationAndTimerMustBeLiterals() {
    String duration = HEAD + """
        rule "R" duration ( $d.silenceMs * 1000 )
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    assertOneError(duration, 5, 19, "duration ($d.silenceMs * 1000)", "only a literal duration");
    String timer = HEAD + """
        rule "R"
            timer ( expr: java.lang.Runtime.getRuntime().exec("x").hashCode(), 1s )
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    assertOneError(timer, 6, 11, "timer (expr: java.lang.Runtime", "only timer (int: 30s [5s]) or timer (cron: ...)");
    for (String ok : List.of("timer (int: 1s 2s)", "timer (int: 1m30s)", "timer (cron: 0/5 * * * * ?)", "duration 500",
        "duration (2s)")) {
      assertEquals(List.of(), check(timer.replace("timer ( expr: java.lang.Runtime.getRuntime().exec(\"x\").hashCode(), 1s )",
          ok)), ok);
    }
  }

  @Test
  void unknownAttributesAndMvelAreRefused() {
    String drl = HEAD + """
        rule "R" dialect "mvel"
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    assertOneError(drl, 5, 18, "dialect \"mvel\" is not allowed");
  }

  @Test
  void packageLevelAttributesAreChecked() {
    String drl = HEAD.replace("global", "salience ( java.lang.System.exit(1) )\nglobal") + """
        rule "R"
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    List<RuleError> errors = check(drl);
    assertEquals(1, errors.size(), errors.toString());
    assertTrue(errors.get(0).message().contains("calls java.lang.System.exit(...)"), errors.toString());
    assertEquals(4, errors.get(0).line(), errors.toString());
  }

  @Test
  void fromAccumulateCollectEvalAndQueriesAreChecked() {
    String from = HEAD + """
        rule "R"
        when
            $s : String() from java.lang.System.getenv("HOME")
        then
            actions.alert($s);
        end
        """;
    assertOneError(from, 7, 24, "calls java.lang.System.getenv(...)");
    String accumulate = HEAD + """
        rule "R"
        when
            accumulate( Device( $p : phi ); $n : sum( java.lang.System.exit(1) ) )
        then
            actions.alert("x");
        end
        """;
    assertOneError(accumulate, 7, 47, "calls java.lang.System.exit(...)");
    String collect = HEAD + """
        rule "R"
        when
            $all : java.util.List() from collect( Device( id == java.lang.System.getProperty("user.name") ) )
        then
            actions.alert("x");
        end
        """;
    assertOneError(collect, 7, 57, "calls java.lang.System.getProperty(...)");
    String eval = HEAD + """
        rule "R"
        when
            $d : Device()
            eval( java.lang.Runtime.getRuntime() != null )
        then
            actions.alert("x");
        end
        """;
    assertOneError(eval, 8, 11, "calls java.lang.Runtime.getRuntime()");
    String query = HEAD + """
        query "lost devices"
            $d : Device( id == java.lang.System.getenv("X") )
        end
        """;
    RuleError q = assertOneError(query, 6, 24, "calls java.lang.System.getenv(...)");
    assertTrue(q.message().startsWith("query \"lost devices\": "), q.toString());
  }

  @Test
  void functionsAreRefusedWhateverTheyDo() {
    String drl = HEAD + """
        function int down(int n) { return down(n + 1); }
        rule "R"
        when
            $d : Device()
        then
            actions.alert("x" + down(0));
        end
        """;
    List<RuleError> errors = check(drl);
    assertTrue(errors.stream().anyMatch(e -> e.line() == 5 && e.message().contains("function down(): functions are not"
        + " allowed in policy")), errors.toString());
  }

  @Test
  void onlyTheActionsGlobal() {
    String drl = HEAD + """
        global java.io.File home;
        rule "R"
        when
            $d : Device()
        then
            actions.alert("x");
        end
        """;
    assertOneError(drl, 5, 1, "global java.io.File home: the only global in policy is io.fogwise.rules.Actions actions");
  }

  @Test
  void declarationsHoldOnlyLiterals() {
    String init = HEAD + """
        declare Counter
            n : int = (java.lang.Runtime.getRuntime().availableProcessors())
        end
        """;
    assertOneError(init, 6, 9, "declare Counter: field n = (java.lang.Runtime",
        "a field's default must be a literal");
    assertEquals(List.of(), check(init.replace("(java.lang.Runtime.getRuntime().availableProcessors())", "4")));
    String timestamp = HEAD + """
        declare Mark
            @role(event)
            @timestamp( java.lang.System.currentTimeMillis() )
            at : long
        end
        """;
    RuleError t = check(timestamp).get(0);
    assertTrue(t.message().contains("@timestamp(java.lang.System.currentTimeMillis()) is not allowed in policy"),
        t.toString());
    assertEquals(List.of(), check(timestamp.replace("java.lang.System.currentTimeMillis()", "at")));
    String extend = HEAD + """
        declare Sneaky extends java.lang.Thread
        end
        """;
    assertTrue(check(extend).get(0).message().contains("extends java.lang.Thread: declared types may extend only"),
        check(extend).toString());
  }

  @Test
  void windowsAreCheckedAndBounded() {
    String drl = HEAD + """
        rule "R"
        when
            $d : Device() over window:length( 100000000 )
        then
            actions.alert("x");
        end
        """;
    assertOneError(drl, 7, 24, "window:length(100000000)", "up to " + AllocationLimits.MAX_WINDOW_LENGTH);
    assertEquals(List.of(), check(drl.replace("window:length( 100000000 )", "window:time( 2m )")));
    String declared = HEAD + """
        declare window Recent
            Device( id != java.lang.System.getenv("X") ) over window:length( 10 )
        end
        """;
    RuleError w = assertOneError(declared, 6, 19, "calls java.lang.System.getenv(...)");
    assertTrue(w.message().startsWith("window Recent: "), w.toString());
  }

  // --- allocation: sizes a rule writes down are limited; sizes it would compute are refused ---

  private static String rhs(String line) {
    return HEAD + """
        rule "R"
        when
            $d : Device()
        then
        """ + line.indent(4) + "end\n";
  }

  @Test
  void formatWidthsAndPrecisionsAreLimited() {
    assertOneError(rhs("String s = String.format(\"%0900000000d\", 1);"), 9, 30,
        "format specifier %0900000000d asks for a width above the limit of 1000 characters");
    assertOneError(rhs("actions.alert(String.format(\"id %09999999s\", $d.getId()));"), 9, 33,
        "%09999999s asks for a width");
    assertOneError(rhs("actions.alert(String.format(\"%.900000000f\", $d.getPhi()));"), 9, 33, "a precision");
    assertOneError(rhs("actions.alert(String.format($d.getId(), 1));"), 9, 19,
        "String.format with a format that is not a string literal");
    assertEquals(List.of(), check(rhs("actions.alert(String.format(\"%-20s %8.2f %1$s %n%%\", $d.getId(), 1.5));")));
  }

  @Test
  void repeatBuilderCapacityAndArraysAreRefused() {
    assertOneError(rhs("String s = \"x\".repeat(1_000_000_000);"), 9, 20, "calls repeat(...)");
    assertOneError(rhs("StringBuilder sb = new StringBuilder(Integer.MAX_VALUE);"), 9, 24,
        "creates a StringBuilder with Integer.MAX_VALUE");
    assertOneError(rhs("StringBuilder sb = new StringBuilder(1_000_000_000);"), 9, 24, "capacity literal up to 65536");
    assertOneError(rhs("long[] big = new long[1000000000];"), 9, 18, "creates an array");
    assertEquals(List.of(), check(rhs("""
        StringBuilder a = new StringBuilder(256).append($d.getId());
        StringBuilder b = new StringBuilder("id " + $d.getId());
        actions.alert(a.toString() + b);""")));
  }
}
