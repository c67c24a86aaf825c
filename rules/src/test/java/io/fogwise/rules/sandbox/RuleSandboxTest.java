package io.fogwise.rules.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuleSandboxTest {
  /** RHS lines start on line 8, indented by 4: the first construct is at column 5. */
  private static String rule(String rhs) {
    return """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "R"
        when
            $d : Device()
        then
        """ + rhs.indent(4) + "end\n";
  }

  private static List<RuleError> check(String drl) {
    return RuleSandbox.check(List.of(new RuleSource("r.drl", drl)));
  }

  /** Asserts an error at {@code line:column} whose message names {@code construct}. */
  private static RuleError assertRejected(String drl, int line, int column, String construct) {
    List<RuleError> errors = check(drl);
    for (RuleError e : errors) {
      if (e.line() == line && e.column() == column && e.message().contains(construct)) {
        assertEquals("r.drl", e.file());
        assertTrue(e.message().startsWith("rule \"R\": "), e.toString());
        return e;
      }
    }
    throw new AssertionError("expected r.drl:" + line + ":" + column + " naming '" + construct + "', got " + errors);
  }

  @Test
  void rejectsFullyQualifiedRuntime() {
    RuleError e = assertRejected(rule("java.lang.Runtime.getRuntime().exec(\"rm -rf /\");"), 8, 5,
        "calls java.lang.Runtime.getRuntime()");
    assertEquals("r.drl:8:5: rule \"R\": calls java.lang.Runtime.getRuntime(), not allowed in a rule's"
        + " right-hand side (only actions.* and reading facts)", e.toString());
  }

  @Test
  void rejectsImportedRuntime() {
    String drl = rule("Runtime.getRuntime().halt(1);").replace("package t\n", "package t\nimport java.lang.Runtime;\n");
    assertRejected(drl, 9, 5, "calls Runtime.getRuntime()");
  }

  @Test
  void rejectsProcessBuilder() {
    assertRejected(rule("new ProcessBuilder(\"sh\", \"-c\", \"reboot\").start();"), 8, 5,
        "creates java.lang.ProcessBuilder");
  }

  @Test
  void rejectsThreads() {
    assertRejected(rule("new Thread(\"t\").start();"), 8, 5, "creates java.lang.Thread");
    assertRejected(rule("Thread.sleep(1000);"), 8, 5, "calls Thread.sleep(...)");
  }

  @Test
  void rejectsReflection() {
    assertRejected(rule("Class.forName(\"java.lang.Runtime\");"), 8, 5, "calls Class.forName(...)");
    List<RuleError> errors = check(rule("$d.getClass().getDeclaredMethod(\"setState\");"));
    assertTrue(errors.stream().anyMatch(e -> e.line() == 8 && e.column() == 5 && e.message().contains("getClass")),
        errors.toString());
    // column of the method name: 5 + "$d.getClass().".length()
    assertRejected(rule("$d.getClass().getDeclaredMethod(\"setState\");"), 8, 19, "calls getDeclaredMethod(...)");
    assertRejected(rule("Object o = String.class;"), 8, 16, "class literal String.class");
  }

  @Test
  void rejectsFileIo() {
    assertRejected(rule("java.nio.file.Files.readString(java.nio.file.Path.of(\"/etc/passwd\"));"), 8, 5,
        "calls java.nio.file.Files.readString(...)");
    assertRejected(rule("new java.io.File(\"/tmp/x\").delete();"), 8, 5, "creates java.io.File");
    assertRejected(rule("new java.io.FileOutputStream(\"/tmp/x\");"), 8, 5, "creates java.io.FileOutputStream");
  }

  @Test
  void rejectsSockets() {
    assertRejected(rule("new java.net.Socket(\"example.org\", 80);"), 8, 5, "creates java.net.Socket");
  }

  @Test
  void rejectsSystemAndMutatorsAndEngineAccess() {
    assertRejected(rule("System.exit(1);"), 8, 5, "calls System.exit(...)");
    assertRejected(rule("System.out.println($d);"), 8, 5, "reads System.out");
    assertRejected(rule("$d.setState(io.fogwise.rules.model.DeviceState.LOST);"), 8, 5,
        "calls $d.setState(...) (facts change only through actions)");
    assertRejected(rule("drools.halt();"), 8, 5, "calls drools.halt()");
    assertRejected(rule("kcontext.getKieRuntime().halt();"), 8, 5, "calls kcontext.getKieRuntime()");
    assertRejected(rule("actions.shutdown();"), 8, 5, "calls actions.shutdown(), which io.fogwise.rules.Actions");
    assertRejected(rule("insert(\"not a fact\");"), 8, 5, "calls insert with something other than new Fact");
  }

  @Test
  void rejectsTryCatchSynchronizedAndLambdas() {
    assertRejected(rule("try { actions.alert(\"x\"); } catch (RuntimeException e) { }"), 8, 5, "try/catch");
    assertRejected(rule("synchronized ($d) { actions.alert(\"x\"); }"), 8, 5, "synchronized");
    assertRejected(rule("Runnable r = () -> actions.alert(\"x\");"), 8, 18, "lambda");
  }

  @Test
  void rejectsFunctions() {
    String drl = """
        package t
        global io.fogwise.rules.Actions actions;

        function void boom() { java.lang.Runtime.getRuntime().halt(1); }

        rule "R"
        when
        then
            actions.alert("x");
        end
        """;
    List<RuleError> errors = check(drl);
    assertEquals(1, errors.size(), errors.toString());
    assertEquals("r.drl:4:1: function boom(): functions are not allowed in policy"
        + " (put the logic in Java, behind Actions or the fact model)", errors.get(0).toString());
  }

  @Test
  void rejectsForbiddenCallsInConditions() {
    String drl = """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "R"
        when
            $d : Device( id == java.lang.System.getProperty("user.name") )
        then
            actions.alert("x");
        end
        """;
    List<RuleError> errors = check(drl);
    assertEquals(1, errors.size(), errors.toString());
    assertEquals(6, errors.get(0).line());
    assertEquals(24, errors.get(0).column());
    assertTrue(errors.get(0).message().contains("calls java.lang.System.getProperty(...)"), errors.toString());
  }

  @Test
  void positionsAreExactOnAMultiLineRightHandSide() {
    String drl = """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;

        rule "Multi"
        when
            $d : Device()
        then  // the right-hand side starts on this line
            actions.alert("first " + $d.getId());
        \t// a comment, then a tab-indented line
        \tString home = "" +   java.lang.System.getenv("HOME");
            actions.alert(home);
        end
        """;
    List<RuleError> errors = check(drl);
    assertEquals(1, errors.size(), errors.toString());
    RuleError e = errors.get(0);
    assertEquals(11, e.line());
    assertEquals(23, e.column(), e.toString()); // tab counts as one column, like javac's
    assertTrue(e.message().startsWith("rule \"Multi\": calls java.lang.System.getenv(...)"), e.toString());
  }

  @Test
  void theBuiltInPacksPass() {
    assertEquals(List.of(), RuleSandbox.check(RuleSet.builtInPacks()));
  }

  @Test
  void allowsActionsGettersConcatenationAndMath() throws Exception {
    String drl = """
        package t
        import io.fogwise.rules.model.Device;
        import io.fogwise.rules.model.DeviceState;
        import io.fogwise.rules.model.Parameters;
        global io.fogwise.rules.Actions actions;
        rule "Allowed"
        when
            $p : Parameters()
            $d : Device( state == DeviceState.ALIVE, $id : id, phi >= $p.number("detect.phiThreshold", deviceClass) )
        then
            double worst = Math.max($d.getPhi(), 1.0);
            StringBuilder sb = new StringBuilder();
            for (String k : $d.getLabels().keySet()) {
                sb.append(k.toUpperCase()).append(',');
            }
            String label = $d.label("zone") == null ? "none" : $d.label("zone").trim();
            actions.alert(drools.getRule().getName() + ": " + $id + " phi " + String.format("%.1f", worst)
                + " zone " + label + " labels " + sb + " silent " + Long.valueOf($d.getSilenceMs()));
            actions.declareLost($d, "phi " + $d.getPhi());
        end
        """;
    RuleSource source = new RuleSource("ok.drl", drl);
    assertEquals(List.of(), RuleSandbox.check(List.of(source)));
    RuleSet set = RuleSet.compile("test", List.of(source));
    assertEquals(List.of("Allowed"), set.ruleNames());
    assertEquals(drl, set.sources().get(0).drl(), "sources() keeps the author's text");
  }

  @Test
  void compileRejectsTheWholeSetWithPositions() {
    List<RuleSource> sources = List.of(RuleSet.builtInPacks().get(0),
        new RuleSource("r.drl", rule("actions.alert(\"ok\");\njava.lang.Runtime.getRuntime().exec(\"x\");")));
    RuleCompilationException e = assertThrows(RuleCompilationException.class, () -> RuleSet.compile("test", sources));
    assertEquals("r.drl", e.errors().get(0).file());
    assertEquals(9, e.errors().get(0).line());
    assertEquals(5, e.errors().get(0).column());
  }

  @Test
  void loopsAreInstrumentedWithoutMovingLines() {
    String drl = rule("""
        int n = 0;
        while (n < 3) { n++; }
        for (;;) break;
        do n--; while (n > 0);""");
    RuleSandbox.Prepared p = RuleSandbox.prepare(List.of(new RuleSource("r.drl", drl)));
    assertEquals(List.of(), p.errors());
    String out = p.instrumented().get(0).drl();
    assertEquals(drl.lines().count(), out.lines().count());
    List<String> lines = out.lines().toList();
    assertEquals("    while (n < 3) {" + RuleSandbox.CHECK_CALL + " n++; }", lines.get(8));
    assertEquals("    for (;;) { " + RuleSandbox.CHECK_CALL + " break; }", lines.get(9));
    assertEquals("    do { " + RuleSandbox.CHECK_CALL + " n--; } while (n > 0);", lines.get(10));
  }

  @Test
  void aRightHandSideThatLoopsForeverIsStoppedByTheWallTimeBudget() throws Exception {
    String drl = """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "Spins forever"
        when
            $d : Device( id == "spin" )
        then
            actions.alert("about to spin");
            while (true) { }
        end
        rule "Alerts on other devices"
        when
            $d : Device( id != "spin" )
        then
            actions.alert("saw " + $d.getId());
        end
        """;
    RuleSet set = RuleSet.compile("test", List.of(new RuleSource("spin.drl", drl)));
    ManualClock clock = new ManualClock(1_000);
    try (RuleHost host = new RuleHost(set, clock, RuleHost.DEFAULT_FIRING_BUDGET, Duration.ofMillis(50))) {
      host.putDevice(new Device("spin", Layer.EDGE, "default", Map.of()));
      RuleHost.Evaluation stopped = host.evaluate();
      assertTrue(stopped.wallTimeExceeded(), stopped.toString());
      assertTrue(stopped.failure().contains("\"Spins forever\" ran past the wall-time budget of 50 ms"),
          stopped.failure());
      assertEquals(List.of(), stopped.actions(), "the stopped firing's actions are dropped");

      // the session keeps working
      host.putDevice(new Device("d1", Layer.EDGE, "default", Map.of()));
      RuleHost.Evaluation next = host.evaluate();
      assertFalse(next.wallTimeExceeded());
      assertNull(next.failure());
      assertEquals(List.of("saw d1"), next.actions().stream().map(Action::reason).toList());
    }
  }
}
