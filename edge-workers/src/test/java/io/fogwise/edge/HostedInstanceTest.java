package io.fogwise.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.services.Publisher;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.InstanceReport.InstanceState;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.time.ManualClock;
import io.nats.client.Connection;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Standby, handover and activation of hosted instances, without NATS: the publisher sends to a
 * recording connection, and a manual clock decides when its next message is due (it sends one
 * message whenever it is (re)activated, then one per 10 ms period the test advances).
 */
class HostedInstanceTest {
  private static final Duration PERIOD = Duration.ofMillis(10);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final ManualClock clock = new ManualClock();
  private final List<AppMessage> sent = new CopyOnWriteArrayList<>();
  private final Connection connection = recordingConnection(sent);
  private final Backoff backoff = new Backoff(Duration.ofMillis(10), Duration.ofMillis(100));
  private final List<HostedInstance> instances = new ArrayList<>();

  @AfterEach
  void stopAll() {
    instances.forEach(HostedInstance::stop);
  }

  @Test
  void aStandbyPublisherSendsNothingUntilActivatedThenStartsAtTheGivenNumberAtOnce() {
    HostedInstance i = publisher(Map.of("rateHz", "100"), true);
    assertEquals(InstanceState.STANDBY, i.report().state());
    assertEquals(0L, i.report().outputs());

    assertTrue(i.activate(42));
    // no clock advance is needed: the first message is due on activation
    awaitSent(1);
    assertEquals(42, sent.get(0).number(), "nothing was sent in standby; numbering starts at the given number");
    assertEquals(new InstanceReport("p", "publisher", 1, InstanceState.RUNNING, 0, 1L), i.report());

    clock.advance(PERIOD);
    awaitSent(2);
    assertEquals(43, sent.get(1).number());
    assertFalse(i.activate(0), "a repeated ACTIVATE changes nothing");
    clock.advance(PERIOD);
    awaitSent(3);
    assertEquals(44, sent.get(2).number(), "and does not rewind the numbering");
  }

  @Test
  void handoverStopsOutputAndReturnsTheNextNumberThenActivationResumes() {
    HostedInstance i = publisher(Map.of("rateHz", "100", "startNumber", "5"), false);
    awaitSent(1);
    clock.advance(PERIOD);
    awaitSent(2);

    assertEquals(OptionalLong.of(7), i.handover(), "exactly the last number sent plus one");
    assertEquals(OptionalLong.of(7), i.handover(), "a retried HANDOVER");
    assertEquals(InstanceState.STANDBY, i.report().state());
    clock.advance(Duration.ofSeconds(1)); // a hundred slots pass while handed over

    assertTrue(i.activate(100));
    awaitSent(3);
    assertEquals(List.of(5L, 6L, 100L), sent.stream().map(AppMessage::number).toList());
    assertEquals(InstanceState.RUNNING, i.report().state());
    assertEquals(3L, i.report().outputs(), "outputs count the instance's messages across activations");
  }

  @Test
  void aStalledPublisherStopsSendingButIsStillReportedRunning() {
    HostedInstance i = publisher(Map.of("rateHz", "100", "stallAfter", "2"), false);
    awaitSent(1);
    clock.advance(PERIOD);
    awaitSent(2);
    clock.advance(PERIOD);
    await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> sent.size() == 2);
    assertEquals(new InstanceReport("p", "publisher", 1, InstanceState.RUNNING, 0, 2L), i.report());
    assertEquals(OptionalLong.of(2), i.handover(), "a hung publisher can still be handed over");
  }

  @Test
  void aServiceWithoutHandoverOnlyChangesItsReportedState() {
    InstanceContext ctx = new InstanceContext("s", "plain", 3, Map.of(), "d1", "gw-1", connection, false, clock);
    HostedInstance i = new HostedInstance(ctx, () -> ctx.awaitStop(Duration.ofDays(1)), backoff);
    instances.add(i);
    i.start(true);
    assertEquals(new InstanceReport("s", "plain", 3, InstanceState.STANDBY, 0, null), i.report());
    assertTrue(i.activate(9));
    assertEquals(new InstanceReport("s", "plain", 3, InstanceState.RUNNING, 0, null), i.report());
    assertEquals(OptionalLong.empty(), i.handover());
    assertEquals(InstanceState.STANDBY, i.report().state());
  }

  @Test
  void aFailingOutputCountDoesNotBreakTheReport() {
    InstanceContext ctx = new InstanceContext("s", "odd", 1, Map.of(), "d1", "gw-1", connection, false, clock);
    HostedService odd =
        new HostedService() {
          @Override
          public void run() throws InterruptedException {
            ctx.awaitStop(Duration.ofDays(1));
          }

          @Override
          public OptionalLong outputs() {
            throw new IllegalStateException("bug");
          }
        };
    HostedInstance i = new HostedInstance(ctx, odd, backoff);
    instances.add(i);
    i.start(false);
    assertEquals(new InstanceReport("s", "odd", 1, InstanceState.RUNNING, 0, null), i.report());
  }

  // ---- helpers ----------------------------------------------------------------------------

  private HostedInstance publisher(Map<String, String> config, boolean standby) {
    InstanceContext ctx = new InstanceContext("p", "publisher", 1, config, "d1", "gw-1", connection, false, clock);
    HostedInstance i = new HostedInstance(ctx, Publisher.factory().create(ctx), backoff);
    instances.add(i);
    i.start(standby);
    return i;
  }

  private void awaitSent(int n) {
    await().atMost(WAIT).until(() -> sent.size() >= n);
    assertEquals(n, sent.size(), () -> "sent " + sent);
  }

  /** A connection whose publish(subject, bytes) decodes and records an AppMessage; nothing else works. */
  private static Connection recordingConnection(List<AppMessage> sent) {
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (proxy, method, args) -> {
              if (method.getName().equals("publish") && args.length == 2 && args[1] instanceof byte[] data) {
                try {
                  sent.add(MessageCodec.decode(data, AppMessage.class));
                } catch (RejectedMessageException e) {
                  throw new AssertionError(e);
                }
                return null;
              }
              if (method.getName().equals("toString")) {
                return "recording connection";
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
