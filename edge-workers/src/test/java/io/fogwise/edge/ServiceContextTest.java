package io.fogwise.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.time.ManualClock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceContextTest {
  private final InstanceContext ctx =
      new InstanceContext(
          "pub", "publisher", 3, Map.of("rateHz", "250.5", "n", "7", "bad", "x", "blank", " "), "d1", "gw-1", null, false,
          new ManualClock());

  @Test
  void readsConfigWithDefaults() {
    assertEquals(250.5, ctx.configDouble("rateHz", 100, 0, 10_000));
    assertEquals(100, ctx.configDouble("absent", 100, 0, 10_000));
    assertEquals(7, ctx.configLong("n", 0, 0, 10));
    assertEquals("dflt", ctx.configString("blank", "dflt"));
  }

  @Test
  void badConfigNamesServiceKeyAndRange() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ctx.configDouble("bad", 1, 0, 10));
    assertEquals("service 'pub' config 'bad' must be a number within (0.0, 10.0], got 'x'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> ctx.configLong("n", 0, 0, 5));
    assertTrue(e.getMessage().contains("within [0, 5], got '7'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ctx.configDouble("rateHz", 1, 0, 100));
  }

  @Test
  void stopSignal() throws InterruptedException {
    assertFalse(ctx.isStopping());
    assertFalse(ctx.awaitStop(Duration.ofMillis(1)));
    ctx.requestStop();
    assertTrue(ctx.isStopping());
    assertTrue(ctx.awaitStop(Duration.ofDays(1)));
  }

  @Test
  void aWakeUpEndsOneWaitEvenIfItCameFirst() throws InterruptedException {
    ctx.wake();
    assertFalse(ctx.awaitStop(Duration.ofDays(1)), "the permit ends the wait at once, without a stop");
    assertFalse(ctx.awaitStop(Duration.ofMillis(1)), "the permit is used up");
    ctx.wake();
    assertFalse(ctx.awaitStopIgnoringWake(Duration.ofMillis(1)), "restart back-off is not cut short");
    assertFalse(ctx.awaitStop(Duration.ofDays(1)), "and leaves the permit to the service");
    ctx.wake();
    ctx.requestStop();
    assertTrue(ctx.awaitStop(Duration.ofDays(1)));
    assertTrue(ctx.awaitStopIgnoringWake(Duration.ofDays(1)));
  }
}
