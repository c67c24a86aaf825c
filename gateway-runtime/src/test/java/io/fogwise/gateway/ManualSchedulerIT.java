package io.fogwise.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.protocol.time.ManualScheduler;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A gateway whose periodic work runs on an injected scheduler: with a manual one, nothing
 * periodic happens until the test moves time, and then exactly what falls due happens, at the
 * manual clock's time. Real nats-server, an independent subscriber.
 */
class ManualSchedulerIT {

  @Test
  void statusIsPublishedOnlyAsTheManualSchedulerMovesTime() throws Exception {
    ManualClock clock = new ManualClock();
    ManualScheduler scheduler = new ManualScheduler(clock);
    List<GatewayStatus> statuses = new CopyOnWriteArrayList<>();
    try (NatsServer hub = NatsServer.start(); Connection client = hub.connect()) {
      client.createDispatcher(m -> {
        try {
          statuses.add(MessageCodec.decode(m.getData(), GatewayStatus.class));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }).subscribe(Subjects.status("gw-manual"));
      client.flush(Duration.ofSeconds(2));
      Gateway gateway = Gateway.start(SecureHub.gatewayConfig(hub, "gw-manual").clock(clock).scheduler(scheduler)
          .durable(false).build());
      try {
        // the one status of the start itself
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> statuses.size() == 1);
        for (int n = 2; n <= 4; n++) {
          // the task hops onto the gateway's context: wait for it before moving time again
          scheduler.advance(Duration.ofSeconds(1));
          int expected = n;
          Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> statuses.size() >= expected);
        }
        // a round trip through the hub: nothing else was due, nothing else came
        client.flush(Duration.ofSeconds(2));
        assertEquals(4, statuses.size());
        assertEquals(List.of(0L, 1000L, 2000L, 3000L),
            statuses.stream().map(s -> s.atMillis() - statuses.get(0).atMillis()).toList(),
            "each status carries the manual clock's time");
      } finally {
        gateway.close();
      }
    }
  }
}
