package io.fogwise.testbed.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The fleet publisher on a real, secure nats-server: the cloud's history streams hold exactly
 * what was published, in order, as valid protocol messages without any simulation label.
 */
class FleetPublisherIT {
  private static final List<String> LABELS = List.of("BATTERY", "OVERHEAT", "MEMORY_LEAK", "CRASH", "CHARGING_DIP",
      "HEAT_SPIKE", "MEMORY_SPIKE", "precursor");

  @Test
  void theStreamsHoldExactlyTheFleetAndNoLabel() throws Exception {
    FleetTrace trace = FleetSimulator.generate(FleetParameters.training().scaled(9, Duration.ofMinutes(30)));
    long now = Instant.now().toEpochMilli();
    ManualClock clock = new ManualClock(now);
    try (NatsServer hub = NatsServer.start();
        Connection fleet = hub.connect();
        Connection observer = hub.connect()) {
      FleetPublisher.PublishResult result = FleetPublisher.builder().badFraction(0.02).clock(clock).build()
          .publish(fleet, trace);
      System.out.println("small fleet: " + result);
      assertEquals(trace.telemetryCount(), result.telemetry());
      assertEquals(trace.eventCount(), result.events());
      for (FleetPublisher.BadInput kind : FleetPublisher.BadInput.values()) {
        assertTrue(result.bad().get(kind) > 0, kind + ": " + result.bad());
      }

      // an independent reader of the streams
      JetStream js = observer.jetStream();
      assertEquals(trace.telemetryCount() + result.badTotal(),
          observer.jetStreamManagement().getStreamInfo(Subjects.TELEMETRY_STREAM).getStreamState().getMsgCount());
      assertEquals(trace.eventCount(),
          observer.jetStreamManagement().getStreamInfo(Subjects.EVENTS_STREAM).getStreamState().getMsgCount());

      Iterator<Telemetry> expected = trace.devices().stream().flatMap(d -> d.telemetry().stream())
          .sorted(java.util.Comparator.comparing(Telemetry::deviceId).thenComparingLong(Telemetry::atMillis))
          .iterator();
      List<Telemetry> good = new ArrayList<>();
      long[] rejected = new long[1];
      long[] future = new long[1];
      readAll(js, Subjects.TELEMETRY_STREAM, Subjects.ALL_TELEMETRY, trace.telemetryCount() + result.badTotal(), m -> {
        String text = new String(m.getData(), StandardCharsets.UTF_8);
        LABELS.forEach(l -> assertFalse(text.contains(l), text));
        try {
          Telemetry t = MessageCodec.decode(m.getData(), Telemetry.class);
          assertEquals(Subjects.telemetry(t.gatewayId(), t.deviceId()), m.getSubject());
          if (t.atMillis() > now) {
            future[0]++;
          } else {
            good.add(t);
          }
        } catch (RejectedMessageException e) {
          rejected[0]++;
        }
      });
      assertEquals(result.bad().get(FleetPublisher.BadInput.FUTURE_TIMESTAMP), future[0]);
      assertEquals(result.badTotal() - future[0], rejected[0], "NaN, negative battery and truncated are rejected");
      good.sort(java.util.Comparator.comparing(Telemetry::deviceId).thenComparingLong(Telemetry::atMillis));
      assertEquals(trace.telemetryCount(), good.size());
      for (Telemetry t : good) {
        assertEquals(expected.next(), t);
      }

      Map<String, List<AdaptationEvent>> events = new java.util.TreeMap<>();
      readAll(js, Subjects.EVENTS_STREAM, Subjects.ALL_EVENTS, trace.eventCount(), m -> {
        String text = new String(m.getData(), StandardCharsets.UTF_8);
        LABELS.forEach(l -> assertFalse(text.contains(l), text));
        try {
          AdaptationEvent e = MessageCodec.decode(m.getData(), AdaptationEvent.class);
          assertEquals(Subjects.events(e.gatewayId()), m.getSubject());
          events.computeIfAbsent(e.gatewayId(), k -> new ArrayList<>()).add(e);
        } catch (RejectedMessageException e) {
          throw new AssertionError("an invalid event on " + m.getSubject() + ": " + e.getMessage(), e);
        }
      });
      for (String gw : trace.gateways()) {
        assertEquals(trace.events(gw), events.get(gw), gw + ": in seq order, as simulated");
      }
      assertTrue(events.values().stream().flatMap(List::stream)
          .anyMatch(e -> e.type() == AdaptationEvent.Type.HEARTBEAT_TIMING));
    }
  }

  @Test
  void publishingSpeedOfATwoHundredThousandMessageFleet() throws Exception {
    FleetTrace trace = FleetSimulator.generate(FleetParameters.training().scaled(28, Duration.ofHours(2)));
    try (NatsServer hub = NatsServer.start(); Connection fleet = hub.connect()) {
      // the first run warms the JIT up (half the speed on this machine); a benchmark publishes warm
      FleetPublisher.PublishResult cold = FleetPublisher.create().publish(fleet, trace);
      FleetPublisher.PublishResult warm = FleetPublisher.create().publish(fleet, trace);
      System.out.println("publishing speed (not asserted), cold JVM: " + cold);
      System.out.println("publishing speed (not asserted), warm JVM: " + warm);
      assertEquals(2 * trace.telemetryCount(),
          fleet.jetStreamManagement().getStreamInfo(Subjects.TELEMETRY_STREAM).getStreamState().getMsgCount());
      assertEquals(2 * trace.eventCount(),
          fleet.jetStreamManagement().getStreamInfo(Subjects.EVENTS_STREAM).getStreamState().getMsgCount());
    }
  }

  private static void readAll(JetStream js, String stream, String subject, long count, Consumer<Message> each)
      throws Exception {
    JetStreamSubscription sub = js.subscribe(subject,
        PushSubscribeOptions.builder().stream(stream).ordered(true).build());
    try {
      for (long i = 0; i < count; i++) {
        Message m = sub.nextMessage(Duration.ofSeconds(10));
        assertNotNull(m, stream + ": message " + (i + 1) + " of " + count + " did not come");
        each.accept(m);
      }
      assertEquals(null, sub.nextMessage(Duration.ofMillis(200)), stream + " holds more than was published");
    } finally {
      sub.unsubscribe();
    }
  }
}
