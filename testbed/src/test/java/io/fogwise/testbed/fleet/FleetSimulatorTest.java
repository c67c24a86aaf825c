package io.fogwise.testbed.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Telemetry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The fleet simulator: deterministic from the seed, and the fleets have the shape issue 16 asks for. */
class FleetSimulatorTest {
  static FleetTrace training;
  static FleetTrace heldOut;

  @BeforeAll
  static void generate() {
    training = FleetSimulator.generate(FleetParameters.training());
    heldOut = FleetSimulator.generate(FleetParameters.heldOut());
    // the table in docs/benchmarks.md ("Mining: the fleet simulator")
    System.out.println(FleetTrace.Summary.header());
    System.out.println(training.summary().row("training"));
    System.out.println(heldOut.summary().row("held-out"));
  }

  static Stream<Arguments> fleets() {
    return Stream.of(Arguments.of("training", training), Arguments.of("held-out", heldOut));
  }

  @Test
  void aDrawIsAPureFunctionOfItsSeed() {
    assertEquals(FleetParameters.draw(FleetParameters.TRAINING_SEED), FleetParameters.draw(FleetParameters.TRAINING_SEED));
    FleetParameters.Draw a = FleetParameters.training();
    FleetParameters.Draw b = FleetParameters.heldOut();
    assertNotEquals(FleetParameters.TRAINING_SEED, FleetParameters.HELD_OUT_SEED);
    assertNotEquals(a.failureRatePerHour(), b.failureRatePerHour());
    assertNotEquals(a.crashShare(), b.crashShare());
    assertNotEquals(a.classes().get(0).sendJitterMs(), b.classes().get(0).sendJitterMs());
    assertNotEquals(a.startMillis(), b.startMillis());
  }

  @Test
  void theSameDrawGivesTheSameTraceMessageForMessage() {
    FleetParameters.Draw small = FleetParameters.draw(7).scaled(12, Duration.ofMinutes(40));
    String first = FleetSimulator.generate(small).digest();
    assertEquals(first, FleetSimulator.generate(small).digest());
    assertEquals(FleetSimulator.generate(FleetParameters.training()).digest(), training.digest());
    assertNotEquals(training.digest(), heldOut.digest());
    assertNotEquals(first, FleetSimulator.generate(FleetParameters.draw(8).scaled(12, Duration.ofMinutes(40))).digest());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void aQuarterOfFailuresOrMoreAreCrashesAndEveryPrecursorModeHappens(String name, FleetTrace fleet) {
    FleetTrace.Summary s = fleet.summary();
    assertTrue(s.failureCount() >= 30, name + ": " + s);
    assertTrue(s.crashShare() >= 0.25, name + ": crash share " + s.crashShare());
    for (FailureMode m : List.of(FailureMode.BATTERY, FailureMode.OVERHEAT, FailureMode.MEMORY_LEAK)) {
      assertTrue(s.failures().get(m) >= 3, name + ": " + m + " " + s.failures());
    }
    assertEquals(s.failures().get(FailureMode.CRASH), fleet.failures(false).size());
    for (FleetTrace.Failure f : fleet.failures(true)) {
      long length = f.deathMillis() - f.precursorStartMillis().getAsLong();
      assertTrue(length >= 60_000 && length <= 240_000, f.toString());
    }
    fleet.failures(false).forEach(f -> assertTrue(f.precursorStartMillis().isEmpty(), f.toString()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void everyKindOfLookAlikeHappensOnDevicesThatDoNotDie(String name, FleetTrace fleet) {
    Map<LookAlike.Kind, Integer> onSurvivors = new java.util.EnumMap<>(LookAlike.Kind.class);
    for (DeviceTrace d : fleet.devices()) {
      if (d.failureMode().isEmpty()) {
        d.lookAlikes().forEach(l -> onSurvivors.merge(l.kind(), 1, Integer::sum));
      }
      long healthyUntil = d.precursorStartMillis().orElse(d.deathMillis().orElse(Long.MAX_VALUE));
      d.lookAlikes().forEach(l -> assertTrue(l.endMillis() <= healthyUntil, d + " " + l));
    }
    for (LookAlike.Kind k : LookAlike.Kind.values()) {
      assertTrue(onSurvivors.getOrDefault(k, 0) >= 10, name + ": " + onSurvivors);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void nothingIsSentAfterDeathAndEveryReadingIsValidAndInThePast(String name, FleetTrace fleet) {
    long now = Instant.now().toEpochMilli();
    for (DeviceTrace d : fleet.devices()) {
      long stop = d.deathMillis().orElse(fleet.endMillis());
      long previous = Long.MIN_VALUE;
      for (Telemetry t : d.telemetry()) { // the record's constructor validates every value
        assertTrue(t.atMillis() > previous && t.atMillis() < stop && t.atMillis() >= fleet.startMillis(), d.toString());
        assertTrue(t.atMillis() < now);
        assertEquals(d.batteryPowered(), t.batteryPct() != null);
        assertTrue(t.memUsedBytes() <= t.memMaxBytes());
        previous = t.atMillis();
      }
      long[] sent = d.heartbeatSentMillis();
      long[] arrived = d.heartbeatArrivalMillis();
      assertEquals(sent.length, arrived.length);
      for (int i = 0; i < sent.length; i++) {
        assertTrue(sent[i] < stop && arrived[i] > sent[i] && arrived[i] < fleet.endMillis(), d.toString());
        assertTrue(i == 0 || (sent[i] > sent[i - 1] && arrived[i] > arrived[i - 1]), d.toString());
      }
    }
    for (String gw : fleet.gateways()) {
      fleet.events(gw).forEach(e -> assertTrue(e.atMillis() < now && e.atMillis() < fleet.endMillis()));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void aDeviceWithAPrecursorDiesAtTheDeadlyValueOfItsMode(String name, FleetTrace fleet) {
    for (DeviceTrace d : fleet.devices()) {
      if (d.failureMode().isEmpty() || d.telemetryCount() == 0) {
        continue;
      }
      Telemetry last = d.telemetry(d.telemetryCount() - 1);
      Telemetry atStart = d.telemetry().stream()
          .filter(t -> t.atMillis() >= d.precursorStartMillis().orElse(Long.MAX_VALUE)).findFirst().orElse(last);
      switch (d.failureMode().get()) {
        case BATTERY -> assertTrue(last.batteryPct() < 8 && atStart.batteryPct() > 20, d + " " + last);
        case OVERHEAT -> assertTrue(last.temperatureC() > 70, d + " " + last);
        case MEMORY_LEAK -> assertTrue(last.memUsedBytes() > 0.93 * last.memMaxBytes(), d + " " + last);
        case CRASH -> assertTrue(last.temperatureC() < 75 && last.memUsedBytes() < 0.95 * last.memMaxBytes(),
            d + " " + last);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void theTwoClassesHeartbeatDifferently(String name, FleetTrace fleet) {
    double[] a = intervals(fleet, "sensor-a");
    double[] b = intervals(fleet, "sensor-b");
    assertEquals(1000, a[a.length / 2], 30, name + " sensor-a median");
    assertEquals(500, b[b.length / 2], 30, name + " sensor-b median");
    double spreadA = a[(int) (a.length * 0.999)] - a[a.length / 2];
    double spreadB = b[(int) (b.length * 0.999)] - b[b.length / 2];
    System.out.printf("%s: p99.9 - median interval: sensor-a %.0f ms, sensor-b %.0f ms%n", name, spreadA, spreadB);
    assertTrue(spreadA > 100 && spreadB > 100, "both have a tail: " + spreadA + ", " + spreadB);
    assertTrue(Math.abs(spreadA - spreadB) > 50, "the tails differ: " + spreadA + ", " + spreadB);
  }

  private static double[] intervals(FleetTrace fleet, String cls) {
    List<Double> out = new ArrayList<>();
    for (DeviceTrace d : fleet.devices()) {
      if (d.deviceClass().equals(cls)) {
        long[] a = d.heartbeatArrivalMillis();
        for (int i = 1; i < a.length; i++) {
          out.add((double) (a[i] - a[i - 1]));
        }
      }
    }
    double[] sorted = out.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    return sorted;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void gatewaysReportJoinsTimingAndLossesAsValidEvents(String name, FleetTrace fleet) {
    int lost = 0;
    int timing = 0;
    for (String gw : fleet.gateways()) {
      long seq = 0;
      long at = Long.MIN_VALUE;
      for (AdaptationEvent e : fleet.events(gw)) {
        assertEquals(++seq, e.seq());
        assertTrue(e.atMillis() >= at);
        at = e.atMillis();
        byte[] wire = MessageCodec.encode(e);
        assertEquals(e, decode(wire));
        switch (e.type()) {
          case DEVICE_JOINED -> assertTrue(e.details().containsKey("class") && e.details().containsKey("labels"));
          case HEARTBEAT_TIMING -> {
            timing++;
            assertTrue(e.details().get("class").startsWith("sensor-"));
            for (String ms : e.details().get("intervalsMs").split(",")) {
              assertTrue(Long.parseLong(ms) > 0);
            }
          }
          case DEVICE_LOST -> {
            lost++;
            assertEquals(FleetSimulator.LOST_RULE, e.rule());
            assertTrue(Double.parseDouble(e.details().get("phi")) >= FleetSimulator.PHI_THRESHOLD - 0.1, e.toString());
          }
          default -> throw new AssertionError("unexpected " + e);
        }
      }
    }
    long detected = fleet.failures().stream().filter(f -> f.lostMillis().isPresent()).count();
    assertEquals(detected, lost);
    assertTrue(detected >= fleet.failures().size() - 3, "deaths near the end may go undetected");
    for (FleetTrace.Failure f : fleet.failures()) {
      f.lostMillis().ifPresent(l -> assertTrue(l > f.deathMillis() && l < f.deathMillis() + 5_000, f.toString()));
    }
    // one report per device per 30 s, give or take the first and last
    long deviceSeconds = fleet.devices().stream()
        .mapToLong(d -> d.deathMillis().orElse(fleet.endMillis()) - d.joinedMillis()).sum() / 1000;
    assertEquals(deviceSeconds / 30.0, timing, fleet.devices().size() * 1.5);
  }

  private static AdaptationEvent decode(byte[] wire) {
    try {
      return MessageCodec.decode(wire, AdaptationEvent.class);
    } catch (io.fogwise.protocol.RejectedMessageException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("fleets")
  void whatIsPublishedCarriesNoLabel(String name, FleetTrace fleet) {
    long telemetry = 0;
    long events = 0;
    long previous = Long.MIN_VALUE;
    for (FleetTrace.Message m : fleet.messages()) {
      assertTrue(m.atMillis() >= previous);
      previous = m.atMillis();
      String wire = new String(m.encode(), StandardCharsets.UTF_8);
      for (String label : List.of("BATTERY", "OVERHEAT", "MEMORY_LEAK", "CRASH", "CHARGING_DIP", "HEAT_SPIKE",
          "MEMORY_SPIKE", "precursor")) {
        assertFalse(wire.contains(label), wire);
      }
      if (m.isTelemetry()) {
        telemetry++;
      } else {
        events++;
      }
    }
    assertEquals(fleet.telemetryCount(), telemetry);
    assertEquals(fleet.eventCount(), events);
  }

  @Test
  void theSpeedFleetHasAMillionTelemetryMessages() {
    FleetTrace speed = FleetSimulator.generate(FleetParameters.speedDraw(FleetParameters.SPEED_SEED));
    System.out.println(speed.summary().row("speed"));
    assertEquals(1_000_000, speed.telemetryCount(), 50_000);
  }
}
