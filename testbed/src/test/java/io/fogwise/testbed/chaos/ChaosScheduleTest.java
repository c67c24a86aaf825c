package io.fogwise.testbed.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ChaosScheduleTest {
  private static final List<String> AGENTS = List.of("cloud-1", "edge-1", "edge-2", "edge-3");

  @Test
  void aTenMinuteRunHasAtLeastFiveFaultsOfEachKind() {
    Map<ChaosSchedule.Kind, Long> byKind = ChaosSchedule.plan(Duration.ofMinutes(10), 1, AGENTS).stream()
        .collect(Collectors.groupingBy(ChaosSchedule.Fault::kind, Collectors.counting()));
    for (ChaosSchedule.Kind k : ChaosSchedule.Kind.values()) {
      assertTrue(byKind.getOrDefault(k, 0L) >= 5, k + ": " + byKind);
    }
  }

  @Test
  void aMinuteHasOneOfEachKindAndShorterRunsAreRefused() {
    Map<ChaosSchedule.Kind, Long> byKind = ChaosSchedule.plan(Duration.ofSeconds(60), 11, AGENTS).stream()
        .collect(Collectors.groupingBy(ChaosSchedule.Fault::kind, Collectors.counting()));
    assertEquals(Map.of(ChaosSchedule.Kind.AGENT_KILL, 1L, ChaosSchedule.Kind.GATEWAY_KILL, 1L,
        ChaosSchedule.Kind.HUB_KILL, 1L, ChaosSchedule.Kind.LINK_CUT, 1L), byKind);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ChaosSchedule.plan(Duration.ofSeconds(30), 11, AGENTS));
    assertTrue(e.getMessage().contains("run at least 48 s"), e.getMessage());
  }

  @Test
  void theSeedDecidesTheFaultsAndTheyComeOneAtATimeInOrder() {
    List<ChaosSchedule.Fault> a = ChaosSchedule.plan(Duration.ofMinutes(10), 42, AGENTS);
    assertEquals(a, ChaosSchedule.plan(Duration.ofMinutes(10), 42, AGENTS));
    assertNotEquals(a, ChaosSchedule.plan(Duration.ofMinutes(10), 43, AGENTS));
    long slot = Duration.ofMinutes(10).toMillis() / a.size();
    for (int i = 0; i < a.size(); i++) {
      ChaosSchedule.Fault f = a.get(i);
      assertTrue(f.at().toMillis() >= i * slot && f.at().toMillis() + f.downtime().toMillis() < (i + 1) * slot, f.toString());
      boolean needsAgent = f.kind() == ChaosSchedule.Kind.AGENT_KILL || f.kind() == ChaosSchedule.Kind.LINK_CUT;
      assertEquals(needsAgent, f.target() != null, f.toString());
    }
    assertTrue(a.stream().map(ChaosSchedule.Fault::target).filter(t -> t != null)
        .collect(Collectors.toMap(Function.identity(), t -> 1, Integer::sum)).size() > 1, "more than one agent is hit");
  }
}
