package io.fogwise.edge.services;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RateScheduleTest {
  private static final long MS = 1_000_000L;

  @Test
  void deadlinesAreAbsoluteSoLatenessDoesNotAccumulate() {
    RateSchedule s = new RateSchedule(1_000 * MS, 10 * MS);
    assertEquals(1_000 * MS, s.deadline());
    // each send is 3 ms late; the next deadline is still on the grid
    for (int i = 0; i < 100; i++) {
      long deadline = s.deadline();
      assertEquals(1_000 * MS + i * 10 * MS, deadline);
      assertEquals(0, s.sent(deadline + 3 * MS));
    }
  }

  @Test
  void afterALongPauseItSkipsAheadInsteadOfBursting() {
    RateSchedule s = new RateSchedule(0, 10 * MS);
    s.sent(0); // slot 0 sent, next due at 10 ms
    // paused until 105 ms: one message goes out now, the next is due at the next grid slot, 110 ms
    long skipped = s.sent(105 * MS);
    assertEquals(110 * MS, s.deadline());
    assertEquals(9, skipped);
  }

  @Test
  void lessThanAPeriodLateKeepsEverySlot() {
    RateSchedule s = new RateSchedule(0, 10 * MS);
    assertEquals(0, s.sent(9 * MS));
    assertEquals(10 * MS, s.deadline());
  }

  @Test
  void atHighRatesSmallLatenessIsMadeUpButALongPauseIsSkipped() {
    RateSchedule s = new RateSchedule(0, MS); // 1 kHz
    s.sent(0);
    // 5 ms of jitter: the missed slots are still due, sent back to back
    assertEquals(0, s.sent(6 * MS));
    assertEquals(2 * MS, s.deadline());
    // a 100 ms pause: no burst of 100 messages, on to the next slot after now
    assertEquals(98, s.sent(100 * MS)); // slots 3..100
    assertEquals(101 * MS, s.deadline());
  }

  @Test
  void periodFromRate() {
    assertEquals(10 * MS, RateSchedule.periodNanos(100));
    assertEquals(100_000L, RateSchedule.periodNanos(10_000));
    assertEquals(2_000 * MS, RateSchedule.periodNanos(0.5));
  }
}
