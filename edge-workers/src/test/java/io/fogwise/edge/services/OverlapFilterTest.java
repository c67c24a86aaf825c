package io.fogwise.edge.services;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OverlapFilterTest {
  @Test
  void theSecondCopyOnTheOtherPathIsACopy() {
    OverlapFilter f = new OverlapFilter();
    assertFalse(f.isCopy("pub", 1, 7, 0));
    assertTrue(f.isCopy("pub", 1, 7, 1));
  }

  @Test
  void aRepeatOnTheSamePathIsNotACopySoTheTrackerCountsItAsADuplicate() {
    OverlapFilter f = new OverlapFilter();
    assertFalse(f.isCopy("pub", 1, 7, 0));
    assertFalse(f.isCopy("pub", 1, 7, 0));
  }

  @Test
  void epochAndServiceArePartOfTheKey() {
    OverlapFilter f = new OverlapFilter();
    assertFalse(f.isCopy("pub", 1, 7, 0));
    assertFalse(f.isCopy("pub", 2, 7, 1));
    assertFalse(f.isCopy("other", 1, 7, 1));
  }

  @Test
  void onlyTheMostRecentMessagesAreRemembered() {
    OverlapFilter f = new OverlapFilter();
    f.isCopy("pub", 1, 0, 0);
    for (int i = 1; i <= OverlapFilter.CAPACITY; i++) {
      f.isCopy("pub", 1, i, 0);
    }
    assertFalse(f.isCopy("pub", 1, 0, 1), "message 0 was forgotten: bounded memory");
    assertTrue(f.isCopy("pub", 1, OverlapFilter.CAPACITY, 1));
  }
}
