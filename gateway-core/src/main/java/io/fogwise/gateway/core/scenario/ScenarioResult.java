package io.fogwise.gateway.core.scenario;

import io.fogwise.protocol.AdaptationEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a scenario run produced: every action the rules took, and the expectations that failed.
 *
 * @param scenario the scenario
 * @param actual every action, in time order
 * @param missing expected actions that did not happen
 * @param forbidden actions that happened although a {@code never} entry forbids them
 * @param failures other failures (a rule set that hit its budget), empty if none
 * @param wallMillis how long the run took
 * @param events every adaptation event the gateway's engine published, in order
 */
public record ScenarioResult(Scenario scenario, List<Occurred> actual, List<Expectation> missing,
    List<Occurred> forbidden, List<String> failures, long wallMillis, List<AdaptationEvent> events) {

  public boolean passed() {
    return missing.isEmpty() && forbidden.isEmpty() && failures.isEmpty();
  }

  /** Throws an {@link AssertionError} with {@link #report()} unless the scenario passed. */
  public void assertPassed() {
    if (!passed()) {
      throw new AssertionError(report());
    }
  }

  /**
   * The expected and actual action timelines side by side, each line marked: {@code ok} (met),
   * {@code MISSING}, {@code FORBIDDEN}; plus the other failures.
   */
  public String report() {
    List<String> left = new ArrayList<>();
    for (Expectation e : scenario.expected()) {
      left.add((missing.contains(e) ? "MISSING " : "ok      ") + e.describe());
    }
    for (Expectation e : scenario.never()) {
      boolean broken = forbidden.stream().anyMatch(e::matches);
      left.add((broken ? "BROKEN  never " : "ok      never ") + e.describe());
    }
    List<String> right = new ArrayList<>();
    for (Occurred o : actual) {
      right.add((forbidden.contains(o) ? "FORBIDDEN " : "          ") + o.describe()
          + (o.fields().containsKey("rule") ? "  [" + o.fields().get("rule") + "]" : ""));
    }
    int width = Math.max(40, left.stream().mapToInt(String::length).max().orElse(0));
    StringBuilder sb = new StringBuilder();
    sb.append("scenario \"").append(scenario.name()).append('"');
    if (scenario.source() != null) {
      sb.append(" (").append(scenario.source()).append(')');
    }
    sb.append(passed() ? ": passed" : ": FAILED").append('\n');
    sb.append(String.format(Locale.ROOT, "  %-" + width + "s | %s%n", "expected", "actual"));
    sb.append("  ").append("-".repeat(width)).append("-+-").append("-".repeat(40)).append('\n');
    for (int i = 0; i < Math.max(left.size(), right.size()); i++) {
      sb.append(String.format(Locale.ROOT, "  %-" + width + "s | %s%n", i < left.size() ? left.get(i) : "",
          i < right.size() ? right.get(i) : ""));
    }
    for (String f : failures) {
      sb.append("  failure: ").append(f).append('\n');
    }
    return sb.toString();
  }
}
