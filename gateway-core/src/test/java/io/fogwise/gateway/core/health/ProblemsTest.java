package io.fogwise.gateway.core.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.fogwise.protocol.AdaptationEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProblemsTest {
  private final List<String> heard = new ArrayList<>();
  private final Problems problems = new Problems();

  private static Problems.Problem p(String key, String message) {
    return new Problems.Problem(key, "policy_pointer", AdaptationEvent.Type.POLICY_STORE_PROBLEM, message, Map.of());
  }

  private void listen() {
    problems.listen(new Problems.Listener() {
      @Override
      public void reported(Problems.Problem p) {
        heard.add("reported " + p.message());
      }

      @Override
      public void cleared(Problems.Problem p, String how) {
        heard.add("cleared " + p.key() + ": " + how);
      }
    });
  }

  @Test
  void aProblemIsToldOncePerTextAndReplayedToALateListener() {
    problems.report(p("a", "pointer missing")); // found at start, before anyone listens
    problems.report(p("a", "pointer missing"));
    listen();
    problems.report(p("a", "pointer missing"));
    problems.report(p("a", "pointer malformed"));
    problems.report(p("b", "bucket missing"));
    assertEquals(List.of("pointer malformed", "bucket missing"), problems.messages());
    problems.clear("a", "pointer fixed");
    problems.clear("a", "again");
    assertEquals(List.of("reported pointer missing", "reported pointer malformed", "reported bucket missing",
        "cleared a: pointer fixed"), heard);
    assertFalse(problems.has("a"));
    assertEquals(List.of("bucket missing"), problems.messages());
  }
}
