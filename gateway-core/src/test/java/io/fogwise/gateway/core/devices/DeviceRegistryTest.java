package io.fogwise.gateway.core.devices;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.gateway.core.devices.PhiAccrualDetector;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.DeviceState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeviceRegistryTest {
  private final ManualClock clock = new ManualClock();
  private final DeviceRegistry registry = new DeviceRegistry(clock, PhiAccrualDetector.Settings.DEFAULT);
  private long seq;

  private DeviceRegistry.Observation beat(String id) {
    return registry.onHeartbeat(
        new Heartbeat(id, "gw", seq++, clock.wallMillis(), 200, Layer.EDGE, null, Map.of("a", "b"), List.of()),
        clock.nanos());
  }

  @Test
  void aDeviceJoinsWithItsFirstHeartbeat() {
    assertEquals(DeviceRegistry.Observation.JOINED, beat("e1"));
    Device d = registry.get("e1");
    assertEquals(Layer.EDGE, d.getLayer());
    assertEquals("default", d.getDeviceClass());
    assertEquals(Map.of("a", "b"), d.getLabels());
    assertEquals(List.of(d), registry.drainChanged());
    assertEquals(List.of(), registry.drainChanged());
  }

  @Test
  void suspicionRisesWhileHeartbeatsAreMissingAndOnlyChangesMarkDevicesDirty() {
    for (int i = 0; i < 20; i++) {
      beat("e1");
      clock.advanceMillis(200);
    }
    registry.drainChanged();
    registry.refreshSuspicion();
    double before = registry.get("e1").getPhi();
    clock.advanceMillis(700);
    registry.refreshSuspicion();
    Device d = registry.get("e1");
    assertTrue(d.getPhi() > before, d.getPhi() + " > " + before);
    assertEquals(900, d.getSilenceMs());
    assertEquals(List.of(d), registry.drainChanged());
    registry.refreshSuspicion();
    assertEquals(List.of(), registry.drainChanged(), "no time passed, no change");
  }

  @Test
  void aLostDeviceThatHeartbeatsAgainReturnsWithAFreshHistory() {
    beat("e1");
    clock.advanceMillis(5000);
    registry.refreshSuspicion();
    assertTrue(registry.markLost("e1"));
    assertFalse(registry.markLost("e1"), "already lost");
    assertEquals(DeviceState.LOST, registry.get("e1").getState());
    assertEquals(DeviceRegistry.Observation.RETURNED, beat("e1"));
    assertEquals(DeviceState.ALIVE, registry.get("e1").getState());
    assertEquals(0.0, registry.get("e1").getPhi());
    assertEquals(200.0, registry.meanIntervalMillis("e1"), 0.001);
  }

  @Test
  void telemetryOfKnownDevicesIsKeptAndUnknownIgnored() {
    beat("e1");
    assertTrue(registry.onTelemetry(new Telemetry("e1", "gw", 1, 0.5, 1, 2, 80.0, 41.5, Map.of())));
    assertFalse(registry.onTelemetry(new Telemetry("zz", "gw", 1, 0.5, 1, 2, null, null, Map.of())));
    assertEquals(41.5, registry.get("e1").getTemperatureC());
    assertEquals(0.5, registry.get("e1").getCpuLoad());
  }

  @Test
  void countsByState() {
    beat("e1");
    beat("e2");
    registry.markLost("e2");
    assertEquals(Map.of(DeviceState.ALIVE, 1, DeviceState.LOST, 1), registry.countsByState());
  }

  @Test
  void telemetryGivesMemoryShareAndTrendsOverTheLastMinute() {
    beat("e1");
    for (int s = 0; s <= 60; s++) {
      registry.onTelemetry(new Telemetry("e1", "gw", clock.wallMillis(), 0.5, 500 + 5L * s, 1000, 50.0 - s / 30.0,
          40.0, Map.of()));
      clock.advanceMillis(1000);
    }
    Device d = registry.get("e1");
    assertEquals(80.0, d.getMemoryPct(), 0.001);
    assertEquals(30.0, d.getMemoryTrend(), 0.01);
    assertEquals(-2.0, d.getBatteryTrend(), 0.01);
    assertEquals(0.0, d.getTemperatureTrend(), 0.01);
    assertEquals(0.0, d.getCpuTrend(), 0.01);
    registry.onTelemetry(new Telemetry("e1", "gw", clock.wallMillis(), 0.5, 0, 0, null, null, Map.of()));
    assertEquals(null, d.getMemoryPct(), "no limit reported, no share");
  }

  @Test
  void heartbeatArrivalIntervalsAreReportedOncePerPeriod() {
    beat("e1");
    long start = clock.millis();
    assertEquals(List.of(), registry.takeHeartbeatTiming("e1", clock.millis(), 30_000));
    for (int i = 0; i < 5; i++) {
      clock.advanceMillis(200 + i);
      beat("e1");
    }
    assertEquals(List.of(), registry.takeHeartbeatTiming("e1", clock.millis(), 30_000), "not due yet");
    assertEquals(List.of(200L, 201L, 202L, 203L, 204L), registry.takeHeartbeatTiming("e1", start + 30_000, 30_000));
    assertEquals(List.of(), registry.takeHeartbeatTiming("e1", start + 60_000, 30_000), "nothing new");
    assertEquals(List.of(), registry.takeHeartbeatTiming("nosuch", start, 30_000));
  }
}
