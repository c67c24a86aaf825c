package io.fogwise.edge.services;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fogwise.edge.services.SequenceTracker.Outcome;
import org.junit.jupiter.api.Test;

class SequenceTrackerTest {
  private final SequenceTracker t = new SequenceTracker();

  private void counts(long received, long gaps, long missing, long duplicates, long stale) {
    assertEquals(received, t.received(), "received");
    assertEquals(gaps, t.gaps(), "gaps");
    assertEquals(missing, t.missing(), "missing");
    assertEquals(duplicates, t.duplicates(), "duplicates");
    assertEquals(stale, t.staleEpoch(), "staleEpoch");
  }

  @Test
  void inOrderSequenceHasNoLoss() {
    for (long n = 0; n < 1000; n++) {
      assertEquals(Outcome.ACCEPTED, t.record(1, n));
    }
    counts(1000, 0, 0, 0, 0);
    assertEquals(1, t.epoch());
    assertEquals(999, t.highestNumber());
  }

  @Test
  void firstNumberOfAnEpochIsTheBaseline() {
    t.record(3, 500);
    t.record(3, 501);
    counts(2, 0, 0, 0, 0);
  }

  @Test
  void aJumpCountsOneGapAndEverySkippedNumberAsMissing() {
    t.record(1, 0);
    t.record(1, 1);
    t.record(1, 5); // 2,3,4 skipped
    t.record(1, 6);
    t.record(1, 8); // 7 skipped
    counts(5, 2, 4, 0, 0);
  }

  @Test
  void repeatedNumbersAreDuplicatesAndNotReceived() {
    t.record(1, 0);
    t.record(1, 1);
    assertEquals(Outcome.DUPLICATE, t.record(1, 1));
    assertEquals(Outcome.DUPLICATE, t.record(1, 0));
    t.record(1, 2);
    counts(3, 0, 0, 2, 0);
  }

  @Test
  void lateArrivalWithinTheWindowFillsItsHole() {
    t.record(1, 0);
    t.record(1, 3); // 1, 2 missing
    assertEquals(Outcome.ACCEPTED, t.record(1, 2));
    assertEquals(Outcome.ACCEPTED, t.record(1, 1));
    assertEquals(Outcome.DUPLICATE, t.record(1, 2));
    counts(4, 1, 0, 1, 0);
    assertEquals(2, t.reordered());
  }

  @Test
  void numbersBeforeTheBaselineAreReorderedNotNegativeMissing() {
    t.record(1, 10);
    assertEquals(Outcome.ACCEPTED, t.record(1, 9));
    counts(2, 0, 0, 0, 0);
    assertEquals(1, t.reordered());
  }

  @Test
  void messagesOfAnOlderEpochAreStaleAndDropped() {
    t.record(2, 0);
    t.record(2, 1);
    assertEquals(Outcome.STALE_EPOCH, t.record(1, 2));
    assertEquals(Outcome.STALE_EPOCH, t.record(1, 100));
    t.record(2, 2);
    counts(3, 0, 0, 0, 2);
    assertEquals(2, t.epoch());
  }

  @Test
  void aNewerEpochStartsANewSequenceWithoutAGap() {
    t.record(1, 0);
    t.record(1, 1);
    t.record(1, 2);
    // handover: epoch 2 continues from 3, or restarts from 0: neither is a gap
    assertEquals(Outcome.ACCEPTED, t.record(2, 0));
    t.record(2, 1);
    counts(5, 0, 0, 0, 0);
    // the same numbers in the new epoch are not duplicates of the old epoch's
    assertEquals(Outcome.ACCEPTED, t.record(3, 1));
    counts(6, 0, 0, 0, 0);
    assertEquals(3, t.epoch());
  }

  @Test
  void duplicateDetectionSurvivesWrappingTheWindow() {
    long n = 0;
    for (; n < 3L * SequenceTracker.WINDOW; n++) {
      t.record(1, n);
    }
    long last = n - 1;
    assertEquals(Outcome.DUPLICATE, t.record(1, last));
    assertEquals(Outcome.DUPLICATE, t.record(1, last - SequenceTracker.WINDOW + 1));
    counts(3L * SequenceTracker.WINDOW, 0, 0, 2, 0);
  }

  @Test
  void aJumpLongerThanTheWindowForgetsOldSlots() {
    t.record(1, 0);
    t.record(1, 1);
    long far = 10L * SequenceTracker.WINDOW;
    t.record(1, far);
    // the slot of 'far - WINDOW + 1' once held number 1's bit pattern: it must not be a duplicate
    assertEquals(Outcome.ACCEPTED, t.record(1, far - SequenceTracker.WINDOW + 1));
    assertEquals(Outcome.ACCEPTED, t.record(1, far - 1));
    assertEquals(1, t.gaps());
    assertEquals(far - 2 - 2, t.missing());
  }

  @Test
  void numbersOlderThanTheWindowCannotBeToldApartAndCountAsDuplicates() {
    t.record(1, 0);
    t.record(1, SequenceTracker.WINDOW + 10L);
    assertEquals(Outcome.DUPLICATE, t.record(1, 5));
  }

  @Test
  void rejectsNegativeInput() {
    assertThrows(IllegalArgumentException.class, () -> t.record(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> t.record(0, -1));
  }

  @Test
  void anEpochAboveTheIssuedOneIsRejectedAndDoesNotBecomeTheNewest() {
    assertEquals(Outcome.ACCEPTED, t.record(1, 0, 1));
    assertEquals(Outcome.UNISSUED_EPOCH, t.record(9_000_000_000_000_000_000L, 0, 1));
    assertEquals(Outcome.ACCEPTED, t.record(1, 1, 1));
    assertEquals(Outcome.ACCEPTED, t.record(2, 2, 2), "a newly issued epoch is taken");
    assertEquals(1, t.unissuedEpoch());
    assertEquals(0, t.staleEpoch());
    assertEquals(2, t.epoch());
    assertEquals(Outcome.UNISSUED_EPOCH, t.record(0, 0, -1), "nothing issued: nothing accepted");
  }

  @Test
  void aKnownDuplicateIsCountedWithoutTouchingTheSequence() {
    t.record(1, 0);
    t.record(1, 1);
    t.countDuplicate();
    counts(2, 0, 0, 1, 0);
    assertEquals(Outcome.ACCEPTED, t.record(1, 2));
    assertEquals(2, t.highestNumber());
  }
}
