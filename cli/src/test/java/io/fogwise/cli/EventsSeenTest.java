package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What {@code events --follow} counts as already printed. */
class EventsSeenTest {
  private static AdaptationEvent event(long seq, long at, String service) {
    return new AdaptationEvent("gw-1", seq, at, AdaptationEvent.Type.SERVICE_APPLIED, null, service, 0, null,
        "applied", Map.of());
  }

  @Test
  void aCopyIsSeenButARestartedGatewaysLowNumbersAreNews() {
    EventsCommand.Seen seen = new EventsCommand.Seen();
    assertTrue(seen.firstTime(event(41, 1_000, "a")));
    assertTrue(seen.firstTime(event(42, 1_001, "a")));
    assertFalse(seen.firstTime(event(42, 1_001, "a")), "the same event read back after a reconnect");
    assertTrue(seen.firstTime(event(1, 5_000, "a")), "seq 1 of the restarted gateway");
    assertTrue(seen.firstTime(event(2, 5_001, "b")));
  }

  @Test
  void itForgetsTheOldestBeyondItsCapacity() {
    EventsCommand.Seen seen = new EventsCommand.Seen();
    for (int i = 0; i <= EventsCommand.Seen.CAPACITY; i++) {
      assertTrue(seen.firstTime(event(i, i, "a")));
    }
    assertTrue(seen.firstTime(event(0, 0, "a")), "the oldest was forgotten");
    assertFalse(seen.firstTime(event(EventsCommand.Seen.CAPACITY, EventsCommand.Seen.CAPACITY, "a")));
  }
}
