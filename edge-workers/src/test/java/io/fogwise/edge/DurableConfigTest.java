package io.fogwise.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.services.Publisher;
import io.fogwise.edge.services.Subscriber;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.time.ManualClock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the publisher and subscriber read a durable channel from their configuration. */
class DurableConfigTest {

  private static HostedService create(ServiceFactory f, String kind, Map<String, String> config) {
    return f.create(new InstanceContext("svc", kind, 1, config, "d1", "gw-1", null, false, new ManualClock()));
  }

  @Test
  void withoutDurableBothStayOnCoreNats() {
    Publisher p = (Publisher) create(Publisher.factory(), "publisher", Map.of("app", "plant"));
    Subscriber s = (Subscriber) create(Subscriber.factory(), "subscriber", Map.of("app", "plant", "durable", "false"));
    assertEquals(Optional.empty(), p.durableChannel());
    assertEquals(Optional.empty(), s.durableChannel());
    assertEquals(0, p.acknowledged());
    assertEquals(0, p.resent());
    assertEquals(0, p.inFlight());
  }

  @Test
  void durableTrueNamesTheApplicationsStreamWithItsLimits() {
    Map<String, String> config = Map.of("app", "plant", "channel", "temp", "durable", "true", "durableMaxAge", "30m",
        "durableMaxBytes", "64MiB");
    Publisher p = (Publisher) create(Publisher.factory(), "publisher", config);
    Subscriber s = (Subscriber) create(Subscriber.factory(), "subscriber", config);
    DurableChannel expected = new DurableChannel("plant", Duration.ofMinutes(30), 64L << 20);
    assertEquals(Optional.of(expected), p.durableChannel());
    assertEquals(Optional.of(expected), s.durableChannel());
    assertEquals("fwd_plant", expected.stream());
    assertEquals("fw.data.plant.temp", p.subject());
  }

  @Test
  void theDefaultApplicationIsDurableToo() {
    Publisher p = (Publisher) create(Publisher.factory(), "publisher", Map.of("durable", "true"));
    assertEquals("fwd_demo", p.durableChannel().orElseThrow().stream());
    assertEquals(DurableChannel.DEFAULT_MAX_AGE, p.durableChannel().orElseThrow().maxAge());
    assertEquals(DurableChannel.DEFAULT_MAX_BYTES, p.durableChannel().orElseThrow().maxBytes());
  }

  @Test
  void aBadDurableValueFailsTheStartNamingServiceAndKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> create(Publisher.factory(), "publisher", Map.of("durable", "true", "durableMaxAge", "1 day")));
    assertEquals("service 'svc': field 'config.durableMaxAge' must be a duration such as 24h, 30m, 90s or 7d, got"
        + " '1 day'", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> create(Subscriber.factory(), "subscriber", Map.of("durable", "ja")));
    assertTrue(e.getMessage().startsWith("service 'svc': field 'config.durable' must be true or false"),
        e.getMessage());
  }
}
