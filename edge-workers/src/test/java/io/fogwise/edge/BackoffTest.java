package io.fogwise.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff =
      new Backoff(AgentConfig.DEFAULT_RESTART_BACKOFF_BASE, AgentConfig.DEFAULT_RESTART_BACKOFF_MAX);

  @Test
  void doublesFromBaseUpToMax() {
    assertEquals(Duration.ofMillis(100), backoff.delay(1));
    assertEquals(Duration.ofMillis(200), backoff.delay(2));
    assertEquals(Duration.ofMillis(400), backoff.delay(3));
    assertEquals(Duration.ofMillis(3_200), backoff.delay(6));
    assertEquals(Duration.ofSeconds(5), backoff.delay(7));
    assertEquals(Duration.ofSeconds(5), backoff.delay(8));
  }

  @Test
  void neverOverflows() {
    assertEquals(Duration.ofSeconds(5), backoff.delay(63));
    assertEquals(Duration.ofSeconds(5), backoff.delay(64));
    assertEquals(Duration.ofSeconds(5), backoff.delay(Integer.MAX_VALUE));
    Backoff huge = new Backoff(Duration.ofNanos(1), Duration.ofNanos(Long.MAX_VALUE));
    assertEquals(Duration.ofNanos(1L << 62), huge.delay(63));
    assertEquals(Duration.ofNanos(Long.MAX_VALUE), huge.delay(64));
  }

  @Test
  void healthyRunLengthIsTheMax() {
    assertEquals(Duration.ofSeconds(5), backoff.resetAfter());
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> backoff.delay(0));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)));
    assertThrows(IllegalArgumentException.class, () -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
  }
}
