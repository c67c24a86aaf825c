package io.fogwise.gateway.core.scenario;

import io.fogwise.rules.host.RuleSet;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every built-in pack's positive and negative scenarios (src/test/resources/scenarios), run by
 * the same runner {@code fogwise rules test} uses.
 */
class PackScenariosTest {
  private static ScenarioRunner runner;
  private static ScenarioRunner loadedRunner;

  @BeforeAll
  static void compile() throws Exception {
    RuleSet compiled = RuleSet.compile("global v0", RuleSet.builtInPacks());
    runner = new ScenarioRunner(compiled);
    // The same packs exported and loaded back, as a gateway loads a cloud-compiled artifact.
    loadedRunner = new ScenarioRunner(RuleSet.load("global v0", RuleSet.builtInPacks(), compiled.exportCompiled()));
  }

  @TestFactory
  Stream<DynamicTest> packScenarios() throws Exception {
    return scenarios(runner);
  }

  @TestFactory
  Stream<DynamicTest> packScenariosOnLoadedCompiledForm() throws Exception {
    return scenarios(loadedRunner);
  }

  private static Stream<DynamicTest> scenarios(ScenarioRunner runner) throws Exception {
    List<Path> files = ScenarioFiles.find(Path.of("src/test/resources/scenarios"));
    if (files.size() < 10) {
      throw new AssertionError("expected the pack scenarios, found " + files);
    }
    return files.stream().map(f -> DynamicTest.dynamicTest(f.getParent().getFileName() + "/" + f.getFileName(), () -> {
      ScenarioResult r = runner.run(ScenarioFiles.load(f));
      System.out.printf("%-70s %s in %d ms (%s of scenario time)%n", f.getFileName(), r.passed() ? "passed" : "FAILED",
          r.wallMillis(), Durations.format(r.scenario().duration()));
      r.assertPassed();
    }));
  }
}
