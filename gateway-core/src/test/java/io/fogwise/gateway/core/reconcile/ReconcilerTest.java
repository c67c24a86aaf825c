package io.fogwise.gateway.core.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.gateway.core.devices.DeviceRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reconciler alone, on a manual clock: what each pass decides. */
class ReconcilerTest {
  private final ManualClock clock = new ManualClock();
  private final DeviceRegistry devices = new DeviceRegistry(clock, PhiAccrualDetector.Settings.DEFAULT);
  private final DesiredState desired = new DesiredState();
  private final Reconciler reconciler = new Reconciler(Reconciler.Settings.DEFAULT);

  private void beat(String id, Layer layer, InstanceReport... running) {
    devices.onHeartbeat(new Heartbeat(id, "gw", 0, clock.wallMillis(), 200, layer, null, Map.of(), List.of(running)),
        clock.nanos());
    reconciler.observe(id, List.of(running), clock.millis());
  }

  private static InstanceReport running(String service, long epoch) {
    return new InstanceReport(service, "publisher", epoch, InstanceReport.InstanceState.RUNNING, 0);
  }

  private List<Step> pass() {
    return reconciler.reconcile(desired, devices, clock.millis());
  }

  @Test
  void placesOnTheLeastLoadedEligibleDeviceByCpuWhenCountsTie() {
    beat("e1", Layer.EDGE);
    beat("e2", Layer.EDGE);
    beat("c1", Layer.CLOUD);
    devices.onTelemetry(new Telemetry("e1", "gw", 1, 0.9, 1, 2, null, null, Map.of()));
    devices.onTelemetry(new Telemetry("e2", "gw", 1, 0.1, 1, 2, null, null, Map.of()));
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    List<Step> steps = pass();
    assertEquals(1, steps.size());
    Step.Start start = assertInstanceOf(Step.Start.class, steps.get(0));
    assertEquals("e2", start.deviceId());
    assertEquals(1, start.epoch());
    assertEquals(List.of(), pass(), "nothing more to do while the start is pending");
  }

  @Test
  void nothingIsEverPlacedOnASensorEvenWhenItIsTheOnlyDeviceThePlacementAdmits() {
    Map<String, String> sensor = Map.of(Heartbeat.SENSOR_LABEL, "true", "pub", "true");
    devices.onHeartbeat(new Heartbeat("py-1", "gw", 0, clock.wallMillis(), 200, Layer.EDGE, null, sensor, List.of()),
        clock.nanos());
    reconciler.observe("py-1", List.of(), clock.millis());
    desired.apply(ServiceSpec.of("svc", "publisher", new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
        Map.of()));
    for (int i = 0; i < 3; i++) {
      assertTrue(pass().stream().noneMatch(s -> s instanceof Step.Start), "no start on a sensor");
      clock.advanceMillis(6_000);
    }
    // an agent in the same place is used at once
    beat("e1", Layer.EDGE);
    devices.onHeartbeat(new Heartbeat("e1", "gw", 1, clock.wallMillis(), 200, Layer.EDGE, null, Map.of("pub", "true"),
        List.of()), clock.nanos());
    Step.Start start = assertInstanceOf(Step.Start.class, pass().stream().filter(s -> s instanceof Step.Start)
        .findFirst().orElseThrow());
    assertEquals("e1", start.deviceId());
  }

  @Test
  void fencesAnInstanceNobodyPlacedOncePerRetryPeriod() {
    beat("e1", Layer.EDGE, running("svc", 7));
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.CLOUD), Map.of()));
    List<Step> first = pass();
    Step.Stop stop = assertInstanceOf(Step.Stop.class, first.get(0));
    assertEquals(Step.StopReason.FENCED, stop.reason());
    assertEquals(7, stop.epoch());
    assertEquals(List.of(), pass(), "not repeated within the retry period");
    clock.advanceMillis(1001);
    beat("e1", Layer.EDGE, running("svc", 7));
    assertEquals(1, pass().size(), "repeated after it: a lost stop is repaired");
    assertTrue(desired.nextEpoch("svc") > 7, "epochs handed out later are above every epoch seen");
  }

  @Test
  void anUnconfirmedStartTimesOutAndTheDeviceIsAvoided() {
    beat("e1", Layer.EDGE);
    beat("e2", Layer.EDGE);
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    Step.Start s1 = assertInstanceOf(Step.Start.class, pass().get(0));
    clock.advanceMillis(4999);
    beat("e1", Layer.EDGE);
    beat("e2", Layer.EDGE);
    assertEquals(List.of(), pass());
    clock.advanceMillis(1);
    List<Step> steps = pass();
    assertInstanceOf(Step.StartFailed.class, steps.get(0));
    Step.Stop cleanup = assertInstanceOf(Step.Stop.class, steps.get(1));
    assertEquals(Step.StopReason.START_TIMEOUT, cleanup.reason());
    Step.Start s2 = assertInstanceOf(Step.Start.class, steps.get(2));
    assertTrue(!s2.deviceId().equals(s1.deviceId()), "the silent device is avoided");
    assertEquals(2, s2.epoch());
  }

  @Test
  void aRunningInstanceThatDisappearsFromItsDevicesHeartbeatsIsPlacedAgain() {
    beat("e1", Layer.EDGE);
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    pass();
    beat("e1", Layer.EDGE, running("svc", 1));
    assertEquals(Placement.State.RUNNING, reconciler.placements().iterator().next().state());
    clock.advanceMillis(1001);
    beat("e1", Layer.EDGE);
    List<Step> steps = pass();
    assertInstanceOf(Step.Abandon.class, steps.get(0));
    Step.Start again = assertInstanceOf(Step.Start.class, steps.get(1));
    assertEquals(2, again.epoch());
  }

  @Test
  void excludedDevicesAreStoppedAndNotChosenWhileAnotherDeviceCanRunTheService() {
    beat("e1", Layer.EDGE);
    beat("e2", Layer.EDGE);
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    Step.Start first = assertInstanceOf(Step.Start.class, pass().get(0));
    assertEquals("e1", first.deviceId());
    beat("e1", Layer.EDGE, running("svc", 1));
    desired.exclude("svc", "e1", clock.millis() + 10_000);
    List<Step> steps = pass();
    Step.Stop stop = assertInstanceOf(Step.Stop.class, steps.get(0));
    assertEquals(Step.StopReason.EXCLUDED, stop.reason());
    Step.Start moved = assertInstanceOf(Step.Start.class, steps.get(1));
    assertEquals("e2", moved.deviceId());
    assertTrue(desired.isExcluded("svc", "e1", clock.millis()), "the exclusion stands while e2 can run it");
  }

  @Test
  void theOnlyDeviceThatCanRunAServiceIsUsedDespiteItsExclusionAndTheStepSaysSo() {
    beat("e1", Layer.EDGE);
    beat("c1", Layer.CLOUD);
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    pass();
    beat("e1", Layer.EDGE, running("svc", 1));
    desired.exclude("svc", "e1", clock.millis() + 10_000);
    List<Step> steps = pass();
    assertEquals(Step.StopReason.EXCLUDED, assertInstanceOf(Step.Stop.class, steps.get(0)).reason());
    Step.LiftExclusion lifted = assertInstanceOf(Step.LiftExclusion.class, steps.get(1));
    assertEquals("e1", lifted.deviceId());
    assertTrue(lifted.reason().contains("no other device can run svc"), lifted.reason());
    Step.Start again = assertInstanceOf(Step.Start.class, steps.get(2));
    assertEquals("e1", again.deviceId());
    assertEquals(2, again.epoch());
    assertTrue(!desired.isExcluded("svc", "e1", clock.millis()));
  }

  @Test
  void anAdoptedPlacementWhoseDeviceHasNotReportedYetIsLeftAlone() {
    beat("e1", Layer.EDGE);
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    Reconciler fresh = new Reconciler(Reconciler.Settings.DEFAULT);
    fresh.adopt(Placement.restored("svc", "e1", 1, clock.millis(), "1"));
    assertTrue(fresh.reconcile(desired, devices, clock.millis()).isEmpty(), "restored as running, nothing to do");
  }

  /** Starts of {@code svc} in {@code steps}. */
  private static List<Step.Start> starts(List<Step> steps) {
    return steps.stream().filter(Step.Start.class::isInstance).map(Step.Start.class::cast).toList();
  }

  @Test
  void aServiceWhoseStartsKeepBeingRefusedBacksOffExponentiallyUpToTheCap() {
    beat("e1", Layer.EDGE);
    desired.apply(ServiceSpec.of("svc", "pubisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    List<Long> gaps = new java.util.ArrayList<>();
    long lastStart = -1;
    // an hour of passes every 250 ms, the device refusing every start at once
    for (long t = 0; t < 3_600_000; t += 250) {
      beat("e1", Layer.EDGE);
      for (Step.Start st : starts(pass())) {
        if (lastStart >= 0) {
          gaps.add(clock.millis() - lastStart);
        }
        lastStart = clock.millis();
        assertTrue(reconciler.startRefused("svc", st.deviceId(), st.epoch(), "unknown service kind 'pubisher'",
            clock.millis()));
      }
      clock.advanceMillis(250);
    }
    // 10 s device avoidance first, then 2 s * 2^(n-2) once that is longer, capped at 5 min
    assertEquals(10_000, gaps.get(0));
    assertEquals(10_000, gaps.get(1));
    assertEquals(10_000, gaps.get(3));
    assertEquals(16_000, gaps.get(4));
    assertEquals(32_000, gaps.get(5));
    assertEquals(300_000, gaps.get(gaps.size() - 1), "capped");
    assertTrue(gaps.size() < 25, "an hour of a wrong kind costs " + (gaps.size() + 1) + " starts, not thousands");
    Reconciler.Trouble t = reconciler.trouble("svc");
    assertEquals(gaps.size() + 1, t.failures());
    assertEquals("unknown service kind 'pubisher'", t.lastFailure());
  }

  @Test
  void aConfirmedInstanceClearsTheFailuresAndTheBackOff() {
    beat("e1", Layer.EDGE);
    desired.apply(ServiceSpec.of("svc", "publisher", ServiceSpec.Placement.layer(Layer.EDGE), Map.of()));
    Step.Start first = starts(pass()).get(0);
    reconciler.startRefused("svc", "e1", first.epoch(), "busy", clock.millis());
    assertEquals(1, reconciler.trouble("svc").failures());
    clock.advanceMillis(10_001);
    beat("e1", Layer.EDGE);
    Step.Start second = starts(pass()).get(0);
    beat("e1", Layer.EDGE, running("svc", second.epoch()));
    assertEquals(null, reconciler.trouble("svc"), "an instance that runs ends the trouble");
  }

  @Test
  void aServiceNoDeviceAdmitsSaysWhy() {
    beat("c1", Layer.CLOUD);
    desired.apply(ServiceSpec.of("svc", "publisher", new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
        Map.of()));
    assertEquals(List.of(), pass());
    assertEquals("no device in layer EDGE with labels {pub=true} (1 device known); start one there or change the"
        + " placement", reconciler.unplaceable("svc"));
    beat("e1", Layer.EDGE);
    devices.onHeartbeat(new Heartbeat("e1", "gw", 1, clock.wallMillis(), 200, Layer.EDGE, null, Map.of("pub", "true"),
        List.of()), clock.nanos());
    assertEquals(1, starts(pass()).size());
    assertEquals(null, reconciler.unplaceable("svc"), "placed: nothing to explain");
  }
}
