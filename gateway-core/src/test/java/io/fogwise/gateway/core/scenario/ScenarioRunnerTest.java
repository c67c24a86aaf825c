package io.fogwise.gateway.core.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.host.RuleSet;
import io.fogwise.rules.source.RuleSource;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Java API of the scenario kit, and what a failure looks like. */
class ScenarioRunnerTest {
  private static ScenarioRunner packs;

  @BeforeAll
  static void compile() throws Exception {
    packs = ScenarioRunner.builtInPacks();
  }

  private static Scenario.Builder twoEdgeDevices() {
    return Scenario.named("a silent device is lost")
        .device("e1", Layer.EDGE).device("e2", Layer.EDGE)
        .service(ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()))
        .instance("publisher", "e1")
        .heartbeatsStop("2s", "e1")
        .runFor("10s");
  }

  @Test
  void aJavaScenarioPassesWhenTheRulesDoWhatItExpects() {
    ScenarioResult r = packs.run(twoEdgeDevices()
        .expect(Expectation.declareLost("e1").between("2.4s", "3s"))
        .expect(Expectation.exclude("publisher", "e1").between("2.4s", "3s"))
        .never(Expectation.declareLost("e2"))
        .build());
    r.assertPassed();
    assertEquals(2, r.actual().stream().filter(Occurred::isRuleAction).count(), r.report());
    // the gateway's own engine then placed the service again, on the other device, with a new epoch
    List<String> engine = r.actual().stream().filter(o -> !o.isRuleAction()).map(Occurred::describe)
        .map(d -> d.replaceFirst("^\\S+ ", "")).toList();
    assertEquals(List.of("abandoned device=e1 service=publisher epoch=1", "starting device=e2 service=publisher epoch=2",
        "started device=e2 service=publisher epoch=2"), engine, r.report());
  }

  @Test
  void aFailureShowsExpectedAndActualTimelinesSideBySide() {
    ScenarioResult r = packs.run(twoEdgeDevices()
        .expect(Expectation.declareLost("e1").at("1.5s", "100ms"))
        .never(Expectation.exclude("publisher", "e1"))
        .build());
    assertFalse(r.passed());
    String report = r.report();
    assertTrue(report.contains("FAILED"), report);
    assertTrue(report.contains("expected") && report.contains("| actual"), report);
    assertTrue(report.contains("MISSING 1.5s ±100ms declareLost device=e1"), report);
    assertTrue(report.contains("BROKEN  never"), report);
    assertTrue(report.contains("FORBIDDEN "), report);
    assertTrue(report.matches("(?s).*\\| +2\\.\\d{3}s declareLost device=e1.*"), report);
    AssertionError e = assertThrows(AssertionError.class, r::assertPassed);
    assertEquals(report, e.getMessage());
  }

  @Test
  void tenMinutesOfScenarioTimeRunInWellUnderASecond() throws Exception {
    Scenario s = Scenario.named("ten quiet minutes")
        .device("e1", Layer.EDGE).device("e2", Layer.EDGE).device("c1", Layer.CLOUD)
        .service(ServiceSpec.of("publisher", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()))
        .never(Expectation.declareLost("e1"))
        .runFor("10m")
        .build();
    packs.run(s); // warm up
    ScenarioResult r = packs.run(s);
    r.assertPassed();
    System.out.println("10 minutes of scenario time, 3 devices, all packs: " + r.wallMillis() + " ms");
  }

  @Test
  void aScenarioRunsAgainstAnyRuleSetNotOnlyThePacks() throws Exception {
    String drl = """
        package my.policy
        import io.fogwise.rules.model.Device;
        global io.fogwise.rules.Actions actions;
        rule "Hot devices raise an alert"
        when
            $d : Device( temperatureC != null, temperatureC > 70 )
        then
            actions.alert("device " + $d.getId() + " is hot");
        end
        """;
    ScenarioRunner mine = new ScenarioRunner(RuleSet.compile("mine", List.of(new RuleSource("mine.drl", drl))));
    ScenarioResult r = mine.run(Scenario.named("alert on heat")
        .device("e1", Layer.EDGE)
        .temperature("3s", "e1", 75)
        .expect(Expectation.of("alert").field("reason", "e1 is hot").between("3s", "4.1s"))
        .runFor("5s")
        .build());
    r.assertPassed();
  }
}
