package io.fogwise.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RestartBackoffTest {
  private final RestartBackoff backoff = RestartBackoff.DEFAULT;

  @Test
  void doublesFromHalfASecondUpToTenSeconds() {
    assertEquals(java.util.List.of(500L, 1_000L, 2_000L, 4_000L, 8_000L, 10_000L, 10_000L),
        IntStream.rangeClosed(1, 7).mapToObj(n -> backoff.delay(n).toMillis()).toList());
    assertEquals(Duration.ofSeconds(10), backoff.delay(Integer.MAX_VALUE));
  }

  @Test
  void aServerThatRanLongEnoughStartsTheCountAgain() {
    assertEquals(4, backoff.failuresAfter(3, Duration.ofSeconds(29)));
    assertEquals(1, backoff.failuresAfter(3, Duration.ofSeconds(30)));
    assertEquals(1, backoff.failuresAfter(0, Duration.ZERO));
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> backoff.delay(0));
    assertThrows(IllegalArgumentException.class,
        () -> new RestartBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ZERO));
    assertThrows(IllegalArgumentException.class,
        () -> new RestartBackoff(Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO));
  }
}
