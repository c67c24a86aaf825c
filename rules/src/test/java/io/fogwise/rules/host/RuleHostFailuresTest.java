package io.fogwise.rules.host;

import io.fogwise.rules.source.RuleSource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.rules.Action;
import io.fogwise.rules.model.Device;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.kie.api.KieServices;
import org.kie.api.builder.KieBuilder;
import org.kie.api.builder.KieFileSystem;
import org.kie.api.builder.Message;

/** A rule host survives whatever its rules throw or allocate, and says which rule did it. */
class RuleHostFailuresTest {
  private static final long MIB = 1024 * 1024;

  /** A rule that fires for device "bad", and one for every other device, to show the session still works. */
  private static String rules(String badRhs) {
    return """
        package t
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "Misbehaves"
        when
            $d : Device( id == "bad" )
        then
        %s
        end
        rule "Alerts on other devices"
        when
            $d : Device( id != "bad" )
        then
            actions.alert("saw " + $d.getId());
        end
        """.formatted(badRhs.indent(4));
  }

  private static Device device(String id) {
    return new Device(id, Layer.EDGE, "default", Map.of());
  }

  /** The session works after a failed cycle: a new device is seen. */
  private static void assertStillWorks(RuleHost host) {
    host.putDevice(device("d1"));
    RuleHost.Evaluation next = host.evaluate();
    assertFalse(next.failed(), String.valueOf(next.failure()));
    assertNull(next.failure());
    assertEquals(List.of("saw d1"), next.actions().stream().map(Action::reason).toList());
  }

  @Test
  void aLoopThatAllocatesIsStoppedAtTheAllocationBudget() throws Exception {
    RuleSet set = RuleSet.compile("t", List.of(new RuleSource("alloc.drl", rules("""
        actions.alert("about to allocate");
        StringBuilder sb = new StringBuilder();
        while (true) { sb.append("0123456789abcdef0123456789abcdef"); }"""))));
    // a generous wall-time budget: the allocation budget must be what stops it
    try (RuleHost host = new RuleHost(set, new ManualClock(1_000), 100, Duration.ofSeconds(30), 8 * MIB)) {
      host.putDevice(device("bad"));
      RuleHost.Evaluation e = host.evaluate();
      assertTrue(e.allocationExceeded(), e.toString());
      assertFalse(e.wallTimeExceeded() || e.errorThrown(), e.toString());
      assertTrue(e.failure().startsWith("rule \"Misbehaves\" allocated more than the allocation budget of 8192 KiB"
          + " in one cycle and was stopped"), e.failure());
      assertTrue(e.allocatedBytes() >= 8 * MIB && e.allocatedBytes() < 64 * MIB, "stopped early: " + e.allocatedBytes());
      assertEquals(List.of(), e.actions(), "the stopped firing's actions are dropped");
      assertStillWorks(host);
    }
  }

  @Test
  void aCycleThatAllocatesAboveTheBudgetWithoutALoopIsReported() throws Exception {
    // 22 doublings: a 4 MiB string, about 8 MiB allocated, no loop for Budget.check() to stop
    String doubling = "String s = \"x\";\n" + "s = s + s;\n".repeat(22) + "actions.alert(\"length \" + s.length());";
    RuleSet set = RuleSet.compile("t", List.of(new RuleSource("alloc.drl", rules(doubling))));
    try (RuleHost host = new RuleHost(set, new ManualClock(1_000), 100, Duration.ofSeconds(30), 2 * MIB)) {
      host.putDevice(device("bad"));
      RuleHost.Evaluation e = host.evaluate();
      assertTrue(e.allocationExceeded(), e.toString());
      assertTrue(e.failed());
      assertTrue(e.failure().matches("the cycle allocated \\d+ KiB, above the allocation budget of 2048 KiB"
          + " \\(most in rule \"Misbehaves\": \\d+ KiB\\)"), e.failure());
      assertEquals(List.of("length 4194304"), e.actions().stream().map(Action::reason).toList());
      assertStillWorks(host);
    }
  }

  @Test
  void aNormalCycleStaysFarBelowTheDefaultBudget() throws Exception {
    try (RuleHost host = new RuleHost(RuleSet.compile("packs", RuleSet.builtInPacks()), new ManualClock(1_000))) {
      for (int i = 0; i < 200; i++) {
        host.putDevice(device("d" + i));
      }
      RuleHost.Evaluation e = host.evaluate();
      assertFalse(e.failed(), String.valueOf(e.failure()));
      assertTrue(e.allocatedBytes() > 0 && e.allocatedBytes() < RuleHost.DEFAULT_ALLOCATION_BUDGET_BYTES / 8,
          "allocated " + e.allocatedBytes());
    }
  }

  /**
   * Rules the sandbox would refuse, compiled without it as a forged artifact would be (signed by a
   * trusted key), whose bytecode passes the artifact checks: they throw Errors on the decision
   * thread, and the host must survive that.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "OutOfMemoryError|actions.alert(\"x\" + new StringBuilder(Integer.MAX_VALUE).append('y'));",
      // a list that contains itself: hashCode() recurses until the stack runs out
      "StackOverflowError|java.util.List l = new java.util.ArrayList(); l.add(l); actions.alert(\"x\" + l.hashCode());",
  })
  void anErrorThrownByARuleIsReportedAndTheSessionCarriesOn(String error, String rhs) throws Exception {
    String forged = rules(rhs);
    String claimed = rules("actions.alert(\"x\");");
    RuleSet set = RuleSet.load("forged", List.of(new RuleSource("t.drl", claimed)),
        CompiledRules.export(compileUnchecked(forged).getKiePackages()));
    try (RuleHost host = new RuleHost(set, new ManualClock(1_000))) {
      host.putDevice(device("bad"));
      RuleHost.Evaluation e = host.evaluate();
      assertTrue(e.errorThrown(), e.toString());
      assertTrue(e.failure().startsWith("rule \"Misbehaves\" threw " + error), e.failure());
      assertEquals(List.of(), e.actions());
      assertStillWorks(host);
      // and it throws again on the next cycle in which it fires, reported again
      host.putDevice(device("bad"));
      assertTrue(host.evaluate().errorThrown());
    }
  }

  private static org.kie.api.KieBase compileUnchecked(String drl) {
    KieServices ks = KieServices.Factory.get();
    KieFileSystem kfs = ks.newKieFileSystem();
    kfs.write("src/main/resources/t.drl", drl);
    KieBuilder b = ks.newKieBuilder(kfs).buildAll();
    assertFalse(b.getResults().hasMessages(Message.Level.ERROR), b.getResults().toString());
    return ks.newKieContainer(ks.getRepository().getDefaultReleaseId()).getKieBase();
  }
}
