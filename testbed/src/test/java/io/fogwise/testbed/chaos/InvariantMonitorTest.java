package io.fogwise.testbed.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The monitor on made-up times (milliseconds turned into nanos): no processes, no clock. */
class InvariantMonitorTest {
  private static final long MS = 1_000_000L;
  private static final ServiceSpec PUB = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")), Map.of("app", "demo", "channel", "readings"));
  private static final ServiceSpec SUB = ServiceSpec.of("sub-cloud", "subscriber", ServiceSpec.Placement.layer(Layer.CLOUD),
      Map.of("app", "demo", "channel", "readings"));

  private InvariantMonitor m;

  @BeforeEach
  void upAndRunning() {
    m = new InvariantMonitor(List.of(PUB, SUB), List.of(
        new InvariantMonitor.Device("cloud-1", Layer.CLOUD, Map.of()),
        new InvariantMonitor.Device("edge-1", Layer.EDGE, Map.of("pub", "true")),
        new InvariantMonitor.Device("edge-3", Layer.EDGE, Map.of("pub", "true"))), "publisher", 0, 0);
    m.gatewayStatus(0, 10 * MS);
    beats(0, 1000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-1", Set.of("publisher"), "edge-3", Set.of()));
    assertTrue(m.allRunning());
    assertTrue(m.check(1000 * MS).isEmpty());
  }

  /** Heartbeats every 200 ms from {@code fromMs} to {@code toMs}, checking as time passes. */
  private void beats(long fromMs, long toMs, Map<String, Set<String>> running) {
    for (long t = fromMs; t <= toMs; t += 200) {
      for (var e : running.entrySet()) {
        m.heartbeat(e.getKey(), e.getValue(), t * MS);
      }
      m.check(t * MS);
    }
  }

  @Test
  void aFailoverWithinTheBudgetIsARecoveryNotABreach() {
    m.deviceDown("edge-1", 1100 * MS);
    beats(1200, 2000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of()));
    beats(2200, 3000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of("publisher")));
    assertTrue(m.firstBreach().isEmpty());
    assertEquals(List.of(1100L), m.recoveryMillis(), "from the kill (edge-3 was available all along) to running again");
  }

  @Test
  void aServiceNotRunningTwoSecondsAfterAnEligibleDeviceIsAvailableIsABreach() {
    m.deviceDown("edge-1", 1100 * MS);
    beats(1200, 3000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of()));
    m.check(3200 * MS);
    var b = m.firstBreach().orElseThrow();
    assertEquals(InvariantMonitor.Invariant.NOT_RUNNING, b.invariant());
    assertEquals("publisher", b.service());
    assertTrue(b.message().contains("edge-3"), b.message());
  }

  @Test
  void theBudgetStartsWhenTheOnlyEligibleDeviceIsBackNotWhenItDied() {
    m.deviceDown("cloud-1", 1100 * MS);
    beats(1200, 6000, Map.of("edge-1", Set.of("publisher")));
    assertTrue(m.firstBreach().isEmpty(), "no CLOUD device: nothing to run sub-cloud on");
    m.deviceBack("cloud-1", 6000 * MS);
    beats(6200, 7800, Map.of("edge-1", Set.of("publisher"), "cloud-1", Set.of()));
    assertTrue(m.firstBreach().isEmpty(), "1.6 s after cloud-1's first heartbeat");
    beats(8000, 8400, Map.of("edge-1", Set.of("publisher"), "cloud-1", Set.of()));
    assertEquals(InvariantMonitor.Invariant.NOT_RUNNING, m.firstBreach().orElseThrow().invariant());
  }

  @Test
  void nothingIsDueWhileTheGatewayOrTheHubIsDownAndTheBudgetCountsFromTheirReturn() {
    m.gatewayDown(1100 * MS);
    m.deviceDown("edge-1", 1100 * MS);
    beats(1200, 9000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of()));
    assertTrue(m.firstBreach().isEmpty(), "no gateway: nobody can fail over");
    m.gatewayLaunched(9000);
    m.gatewayStatus(8000, 9100 * MS);
    assertTrue(m.check(9200 * MS).isEmpty(), "a status of the old process does not count");
    m.gatewayStatus(9050, 9300 * MS);
    beats(9400, 11200, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of()));
    assertTrue(m.firstBreach().isEmpty());
    beats(11400, 11400, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of()));
    assertEquals(InvariantMonitor.Invariant.NOT_RUNNING, m.firstBreach().orElseThrow().invariant());
  }

  @Test
  void aHubRestartIsNotAnOutageWhenTheInstancesKeepRunning() {
    m.hubDown(1100 * MS);
    m.check(3000 * MS);
    assertTrue(m.allRunning(), "while the hub is down, what devices last reported is kept");
    m.hubUp(4000 * MS);
    beats(4300, 6000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-1", Set.of("publisher"), "edge-3", Set.of()));
    m.gatewayStatus(0, 4500 * MS);
    beats(6200, 8000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-1", Set.of("publisher"), "edge-3", Set.of()));
    assertTrue(m.firstBreach().isEmpty());
    assertTrue(m.recoveryMillis().isEmpty());
  }

  @Test
  void aServiceTheGatewayLeavesUnplacedIsABreachEvenBeforeItsInstanceStops() {
    m.placements("publisher", 0, 1100 * MS);
    beats(1200, 3000, Map.of("cloud-1", Set.of("sub-cloud"), "edge-1", Set.of("publisher"), "edge-3", Set.of()));
    m.placements("publisher", 0, 3100 * MS);
    m.check(3200 * MS);
    var b = m.firstBreach().orElseThrow();
    assertEquals(InvariantMonitor.Invariant.UNPLACED, b.invariant());
  }

  @Test
  void twoEpochsProducingLongerThanTheAllowanceIsABreachAndTheWindowIsReported() {
    m.dataMessage(1, 1000 * MS);
    m.dataMessage(2, 2000 * MS);
    m.dataMessage(1, 2010 * MS);
    m.dataMessage(1, 2060 * MS);
    assertTrue(m.firstBreach().isEmpty());
    assertEquals(50, m.longestDoublePrimaryMillis());
    m.dataMessage(1, 2010 * MS + InvariantMonitor.DOUBLE_PRIMARY_ALLOWANCE.toNanos() + MS);
    var b = m.firstBreach().orElseThrow();
    assertEquals(InvariantMonitor.Invariant.DOUBLE_PRIMARY, b.invariant());
    assertTrue(b.message().contains("epoch 1") && b.message().contains("epoch 2"), b.message());
    assertEquals(1, m.doublePrimaryWindows());
  }

  @Test
  void aDeviceSilentForLongerThanStaleAfterNoLongerCountsAsRunningIt() {
    beats(1200, 1200, Map.of("cloud-1", Set.of("sub-cloud"), "edge-3", Set.of()));
    m.check(1200 * MS + InvariantMonitor.STALE_AFTER.toNanos() + MS);
    assertTrue(!m.allRunning(), "edge-1 went silent without the harness killing it");
  }
}
