package io.fogwise.cloud.history;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Telemetry;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The miner's store: round trips, torn records, duplicate sequences, and two instances' segments merged. */
class HistoryStoreTest {
  @TempDir Path dir;

  private static Telemetry tm(String gw, String dev, long at, Double battery) {
    return new Telemetry(dev, gw, at, 0.25, 512, 1024, battery, 41.5, null);
  }

  private static AdaptationEvent joined(String gw, String dev, long at, String cls) {
    return new AdaptationEvent(gw, at, at, AdaptationEvent.Type.DEVICE_JOINED, dev, null, 0, null, "joined",
        cls == null ? Map.of() : Map.of("class", cls));
  }

  @Test
  void whatIsStoredComesBackAsSortedColumnsWithEventsAndCounts() throws Exception {
    try (HistoryStore s = HistoryStore.open(dir, "a")) {
      assertTrue(s.appendTelemetry(1, tm("gw1", "d1", 3_000, 80.0)));
      assertTrue(s.appendTelemetry(2, tm("gw1", "d1", 1_000, null)));
      assertTrue(s.appendTelemetry(3, tm("gw1", "d2", 2_000, 10.0)));
      assertTrue(s.appendTelemetry(4, new Telemetry("d1", "gw1", 2_000, 1.0, 7, 0, 50.0, null, null)));
      assertTrue(s.rejectTelemetry(5, BadInput.OUT_OF_RANGE));
      assertTrue(s.appendEvent(1, joined("gw1", "d1", 500, "sensor")));
      assertTrue(s.appendEvent(2, joined("gw1", "d2", 100, null)));
      assertTrue(s.rejectEvent(3, BadInput.MALFORMED));
      s.syncTelemetry();
      s.syncEvents();
    }
    History h = HistoryStore.load(dir);
    assertEquals(2, h.devices().size());
    DeviceSeries d1 = h.devices().get(0);
    assertEquals("d1", d1.deviceId());
    assertEquals("sensor", d1.deviceClass());
    assertArrayEquals(new long[] {1_000, 2_000, 3_000}, d1.atMillis());
    assertArrayEquals(new double[] {0.25, 1.0, 0.25}, d1.cpuLoad(), 1e-6);
    assertArrayEquals(new double[] {50.0, Double.NaN, 50.0}, d1.memoryPct(), 1e-4);
    assertTrue(Double.isNaN(d1.batteryPct()[0]));
    assertEquals(50.0, d1.batteryPct()[1], 1e-4);
    assertEquals(80.0, d1.batteryPct()[2], 1e-4);
    assertTrue(Double.isNaN(d1.temperatureC()[1]));
    assertEquals(41.5, d1.temperatureC()[0], 1e-4);
    assertEquals(DeviceSeries.DEFAULT_CLASS, h.devices().get(1).deviceClass());
    assertEquals(List.of(100L, 500L), h.events().stream().map(AdaptationEvent::atMillis).toList());
    assertEquals(1_000, h.fromMillis());
    assertEquals(3_000, h.toMillis());
    Counts c = h.counts();
    assertEquals(4, c.telemetry());
    assertEquals(2, c.events());
    assertEquals(1, c.rejected(BadInput.OUT_OF_RANGE));
    assertEquals(1, c.rejected(BadInput.MALFORMED));
    assertEquals(2, c.rejectedTotal());
    assertEquals(0, c.duplicatesDropped());
  }

  @Test
  void aSequenceStoredOnceIsNotStoredAgainEvenAfterARestart() throws Exception {
    try (HistoryStore s = HistoryStore.open(dir, "a")) {
      assertTrue(s.appendTelemetry(7, tm("gw1", "d1", 1_000, 1.0)));
      assertFalse(s.appendTelemetry(7, tm("gw1", "d1", 1_000, 1.0)));
      assertFalse(s.rejectTelemetry(7, BadInput.MALFORMED));
      assertTrue(s.appendEvent(7, joined("gw1", "d1", 1, null)));
      assertFalse(s.appendEvent(7, joined("gw1", "d1", 1, null)));
      s.syncTelemetry();
      s.syncEvents();
    }
    try (HistoryStore s = HistoryStore.open(dir, "a")) {
      assertTrue(s.hasTelemetry(7));
      assertTrue(s.hasEvent(7));
      assertFalse(s.hasTelemetry(8));
      assertFalse(s.appendTelemetry(7, tm("gw1", "d1", 1_000, 1.0)));
      assertEquals(1, s.load().counts().telemetry());
    }
  }

  @Test
  void aBatchThatFailedHalfWayIsForgottenSoItsRedeliveryIsStored() throws Exception {
    try (HistoryStore s = HistoryStore.open(dir, "a")) {
      s.appendTelemetry(1, tm("gw1", "d1", 1_000, 1.0));
      s.syncTelemetry();
      s.appendTelemetry(2, tm("gw1", "d1", 2_000, 1.0));
      s.appendEvent(5, joined("gw1", "d1", 1, null));
      s.discardTelemetry(); // the batch failed before it was durable: nothing of it was acknowledged
      s.discardEvents();
      assertTrue(s.hasTelemetry(1));
      assertFalse(s.hasTelemetry(2));
      assertFalse(s.hasEvent(5));
      assertTrue(s.appendTelemetry(2, tm("gw1", "d1", 2_000, 1.0)));
      s.syncTelemetry();
    }
    History h = HistoryStore.load(dir);
    assertEquals(2, h.counts().telemetry());
    // the discarded record reached the old segment when it was closed: loading keeps one copy
    assertEquals(1, h.counts().duplicatesDropped());
    assertEquals(2, h.devices().get(0).size());
  }

  @Test
  void aTornLastRecordIsCutOffAndCountedAndWritingGoesOn() throws Exception {
    try (HistoryStore s = HistoryStore.open(dir, "a")) {
      s.appendTelemetry(1, tm("gw1", "d1", 1_000, 1.0));
      s.appendTelemetry(2, tm("gw1", "d1", 2_000, 1.0));
      s.appendEvent(1, joined("gw1", "d1", 1, null));
      s.syncTelemetry();
      s.syncEvents();
    }
    Path seg = only("tm-a-");
    Path ev = only("ev-a-");
    long size = Files.size(seg);
    try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
      ch.truncate(size - 5); // a crash in the middle of writing record 2
    }
    Files.writeString(ev, "{\"seq\":2,\"event\":{\"gatewayId\":\"gw1\"", StandardOpenOption.APPEND);
    // while torn, a reader sees the intact part only
    assertEquals(1, HistoryStore.load(dir).counts().telemetry());
    try (HistoryStore s = HistoryStore.open(dir, "a")) {
      assertEquals(2, s.tornRecords());
      assertEquals(size - TelemetrySegment.TELEMETRY_BYTES, Files.size(seg));
      assertFalse(s.hasTelemetry(2), "the torn message was not acknowledged and is stored when delivered again");
      assertFalse(s.hasEvent(2));
      assertTrue(s.appendTelemetry(2, tm("gw1", "d1", 2_000, 1.0)));
      s.syncTelemetry();
      History h = s.load();
      assertEquals(2, h.counts().telemetry());
      assertEquals(1, h.counts().events());
      assertEquals(2, h.counts().tornRecords());
    }
  }

  @Test
  void twoInstancesSegmentsMergeAndARedeliveryStoredByBothCountsOnce() throws Exception {
    try (HistoryStore a = HistoryStore.open(dir, "a"); HistoryStore b = HistoryStore.open(dir, "b")) {
      for (long seq = 1; seq <= 10; seq++) {
        HistoryStore s = seq % 2 == 0 ? a : b;
        s.appendTelemetry(seq, tm("gw1", "d" + (seq % 3), seq * 100, 50.0));
      }
      // a stored 4 but crashed before acknowledging it; the server delivered it again to b
      b.appendTelemetry(4, tm("gw1", "d1", 400, 50.0));
      a.appendEvent(1, joined("gw1", "d1", 5, "x"));
      b.appendEvent(1, joined("gw1", "d1", 5, "x"));
      b.appendEvent(2, joined("gw1", "d2", 6, "y"));
      a.syncTelemetry();
      b.syncTelemetry();
      a.syncEvents();
      b.syncEvents();
      assertThrows(IllegalStateException.class, () -> HistoryStore.open(dir, "a"), "one process per instance id");
    }
    History h = HistoryStore.load(dir);
    assertEquals(10, h.counts().telemetry());
    assertEquals(2, h.counts().events());
    assertEquals(2, h.counts().duplicatesDropped());
    assertEquals(3, h.devices().size());
    for (DeviceSeries s : h.devices()) {
      for (int i = 1; i < s.size(); i++) {
        assertTrue(s.atMillis()[i - 1] <= s.atMillis()[i], "sorted across both instances' segments");
      }
    }
    assertEquals(10, h.devices().stream().mapToInt(DeviceSeries::size).sum());
    assertEquals("x", h.devices().get(1).deviceClass());
  }

  @Test
  void anInstanceIdThatCannotNameAFileIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HistoryStore.open(dir, "../x"));
    assertTrue(e.getMessage().contains("'../x'"), e.getMessage());
  }

  @Test
  void codecRejectionsMapToReasons() {
    assertEquals(BadInput.MALFORMED, BadInput.of(io.fogwise.protocol.RejectReason.MALFORMED));
    assertEquals(BadInput.OUT_OF_RANGE, BadInput.of(io.fogwise.protocol.RejectReason.INVALID_FIELD));
    assertEquals(BadInput.MISSING_FIELD, BadInput.of(io.fogwise.protocol.RejectReason.MISSING_FIELD));
    assertEquals("future-timestamp", BadInput.FUTURE_TIMESTAMP.tag());
  }

  @Test
  void timeOrderSortsStablyAndSaysWhenNothingMoves() {
    assertEquals(null, TimeOrder.sort(new long[] {1, 2, 2, 3}, 4));
    assertArrayEquals(new int[] {1, 3, 0, 2, 4}, TimeOrder.sort(new long[] {5, 1, 7, 1, 9}, 5));
  }

  private Path only(String prefix) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> l = s.filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
      assertEquals(1, l.size(), l.toString());
      return l.get(0);
    }
  }
}
