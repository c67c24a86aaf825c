package io.fogwise.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.services.Publisher;
import io.fogwise.edge.services.Subscriber;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.DurableStreams;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.SubscriberStats.PublisherStats;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.PublishOptions;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamState;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Durable channels on a real (secure) nats-server: nothing JetStream acknowledged is lost and
 * nothing reaches a subscriber twice across a hub restart, a move of the subscriber to another
 * device, and a publisher hand-over. Measured from outside: an operator connection reads the
 * stream, the subscribers' own statistics count what they accounted for.
 */
class DurableChannelIT extends AgentItBase {
  private static final String GW = "gw-dur";
  private static final Duration LONG_WAIT = Duration.ofSeconds(40);

  @Test
  void aHubRestartWhileThePublisherRunsLosesNothingAcknowledgedAndDeliversNothingTwice() throws Exception {
    DurableChannel channel = ensure("durhub", "dsub-r");
    EdgeAgent pubAgent = agent("dr-pub");
    EdgeAgent subAgent = agent("dr-sub");
    Map<String, String> data = durable("durhub");
    assertOk(command("dr-sub", Command.start("r1", "dsub-r", "subscriber", 1, with(data, "statsIntervalMs", "50"))));
    assertOk(command("dr-pub", Command.start("r2", "dpub-r", "publisher", 1, with(data, "rateHz", "200"))));
    Publisher pub = (Publisher) pubAgent.service("dpub-r").orElseThrow();
    Subscriber sub = (Subscriber) subAgent.service("dsub-r").orElseThrow();
    await().atMost(WAIT).until(() -> pub.acknowledged() >= 200 && sub.acknowledged() >= 100);

    long ackedBefore = pub.acknowledged();
    restartHub();
    long ackedAtRestart = pub.acknowledged();
    await().atMost(LONG_WAIT).until(() -> pub.acknowledged() >= ackedAtRestart + 400);

    assertOk(command("dr-pub", Command.stop("r3", "dpub-r", 1)));
    long total = pub.nextNumber();
    assertEquals(total, pub.acknowledged(), "every message handed to JetStream was acknowledged before the stop");
    assertStreamHoldsEachNumberOnce(channel, "dpub-r", 1, total);

    List<Received<SubscriberStats>> stats = listen(Subjects.subscriberStats("dsub-r"), SubscriberStats.class);
    PublisherStats seen = awaitPublisher(stats, "dpub-r", p -> p.received() >= total, LONG_WAIT);
    assertEquals(total, seen.received(), "every acknowledged message was accounted for, once");
    assertEquals(0, seen.missing());
    assertEquals(sub.redelivered(), seen.duplicates(),
        "the only duplicates are redeliveries, dropped by stream sequence");
    assertEquals(0, seen.staleEpoch());
    System.out.printf(Locale.ROOT, "DURABLE hub restart (SIGKILL) at 200 Hz: %d messages, %d acknowledged before the"
        + " kill, 0 lost, 0 processed twice; publisher re-sends %d; redeliveries dropped by the subscriber %d%n",
        total, ackedBefore, pub.resent(), sub.redelivered());
  }

  @Test
  void aSubscriberStoppedAndStartedOnAnotherDeviceContinuesFromItsDurableConsumer() throws Exception {
    DurableChannel channel = ensure("durmove", "dsub-m");
    EdgeAgent pubAgent = agent("dm-pub");
    EdgeAgent subA = agent("dm-sub-a");
    EdgeAgent subB = agent("dm-sub-b");
    Map<String, String> data = durable("durmove");
    List<Received<SubscriberStats>> stats = listen(Subjects.subscriberStats("dsub-m"), SubscriberStats.class);
    assertOk(command("dm-sub-a", Command.start("m1", "dsub-m", "subscriber", 1, with(data, "statsIntervalMs", "50"))));
    assertOk(command("dm-pub", Command.start("m2", "dpub-m", "publisher", 1, with(data, "rateHz", "200"))));
    Publisher pub = (Publisher) pubAgent.service("dpub-m").orElseThrow();
    Subscriber first = (Subscriber) subA.service("dsub-m").orElseThrow();
    await().atMost(WAIT).until(() -> first.acknowledged() >= 150);

    assertOk(command("dm-sub-a", Command.stop("m3", "dsub-m", 1)));
    long stoppedAt = pub.nextNumber();
    // the publisher goes on while no subscriber runs: the stream keeps what it publishes
    await().atMost(WAIT).until(() -> pub.acknowledged() >= stoppedAt + 100);
    assertOk(command("dm-sub-b", Command.start("m4", "dsub-m", "subscriber", 2, with(data, "statsIntervalMs", "50"))));
    Subscriber second = (Subscriber) subB.service("dsub-m").orElseThrow();
    await().atMost(WAIT).until(() -> second.acknowledged() >= 200);
    assertOk(command("dm-pub", Command.stop("m5", "dpub-m", 1)));
    long total = pub.nextNumber();
    assertStreamHoldsEachNumberOnce(channel, "dpub-m", 1, total);

    PublisherStats before = first.stats().publishers().get(0);
    await().atMost(LONG_WAIT).until(() -> received(second) + before.received() >= total);
    PublisherStats after = second.stats().publishers().get(0);
    assertEquals(total, before.received() + after.received(), "each message accounted for by exactly one instance");
    assertEquals(0, before.missing());
    assertEquals(0, after.missing(), "the second instance began where the first stopped");
    assertEquals(0, before.duplicates() + after.duplicates());
    assertEquals(1, awaitPublisher(stats, "dpub-m", p -> true).epoch());
    System.out.printf(Locale.ROOT, "DURABLE subscriber move: %d messages, %d accounted for by the first instance and %d"
        + " by the second, 0 lost, 0 twice%n", total, before.received(), after.received());
  }

  @Test
  void aPublisherHandOverContinuesTheNumberingAndTheStreamDropsRepeatedIds() throws Exception {
    DurableChannel channel = ensure("durho", "dsub-h");
    EdgeAgent a = agent("dh-a");
    EdgeAgent b = agent("dh-b");
    EdgeAgent subAgent = agent("dh-sub");
    Map<String, String> data = durable("durho");
    List<Received<SubscriberStats>> stats = listen(Subjects.subscriberStats("dsub-h"), SubscriberStats.class);
    assertOk(command("dh-sub", Command.start("h1", "dsub-h", "subscriber", 1, with(data, "statsIntervalMs", "50"))));
    Map<String, String> pubConfig = with(data, "rateHz", "200");
    assertOk(command("dh-a", Command.start("h2", "dpub-h", "publisher", 1, pubConfig)));
    Publisher old = (Publisher) a.service("dpub-h").orElseThrow();
    await().atMost(WAIT).until(() -> old.acknowledged() >= 100);

    assertOk(command("dh-b", Command.standby("h3", "dpub-h", "publisher", 2, pubConfig)));
    Publisher successor = (Publisher) b.service("dpub-h").orElseThrow();
    CommandReply handedOver = command("dh-a", Command.handover("h4", "dpub-h", 1));
    assertOk(handedOver);
    long n = handedOver.nextNumber();
    assertOk(command("dh-b", Command.activate("h5", "dpub-h", 2, n)));
    await().atMost(WAIT).until(() -> successor.acknowledged() >= 100);
    // a retry of an already stored message, as a publisher re-sending across the hand-over would: dropped
    MessageInfo stored = test.jetStreamManagement().getMessage(channel.stream(), 5);
    PublishAck again = test.jetStream().publish(stored.getSubject(), stored.getData(),
        PublishOptions.builder().messageId(messageId(stored)).build());
    assertTrue(again.isDuplicate(), "the stream drops a repeated message id");
    assertEquals(5, again.getSeqno());

    assertOk(command("dh-b", Command.stop("h6", "dpub-h", 2)));
    assertOk(command("dh-a", Command.stop("h7", "dpub-h", 1)));
    long total = successor.nextNumber();
    assertEquals(n, old.acknowledged(), "the handed-over instance had all of 0 .. n-1 acknowledged");
    assertEquals(total - n, successor.acknowledged());
    StreamState state = test.jetStreamManagement().getStreamInfo(channel.stream()).getStreamState();
    assertEquals(total, state.getMsgCount(), "one stored message per number");
    for (long seq = state.getFirstSequence(); seq <= state.getLastSequence(); seq++) {
      AppMessage m = MessageCodec.decode(test.jetStreamManagement().getMessage(channel.stream(), seq).getData(),
          AppMessage.class);
      assertTrue(m.epoch() == 1 ? m.number() < n : m.number() >= n, () -> "epoch/number " + m);
    }
    assertEquals(total, distinctNumbers(channel));

    PublisherStats seen = awaitPublisher(stats, "dpub-h", p -> p.epoch() == 2 && p.received() >= total, LONG_WAIT);
    assertEquals(total, seen.received());
    assertEquals(0, seen.missing());
    assertEquals(0, seen.duplicates());
    assertEquals(0, seen.staleEpoch());
  }

  @Test
  void aPublisherWhoseStreamIsMissingHoldsItsMessagesUntilTheStreamExists() throws Exception {
    EdgeAgent agent = agent("dl-pub");
    Map<String, String> config = with(durable("durlate"), "rateHz", "500");
    assertOk(command("dl-pub", Command.start("l1", "dpub-l", "publisher", 1, config)));
    Publisher pub = (Publisher) agent.service("dpub-l").orElseThrow();
    // nothing stores them: the publisher re-sends and, at its bound, stops producing
    await().atMost(WAIT).until(() -> pub.inFlight() == 256 && pub.resent() > 256);
    assertEquals(256, pub.outputs().getAsLong());
    assertEquals(0, pub.acknowledged());

    DurableChannel channel = ensure("durlate", "dsub-l");
    await().atMost(WAIT).until(() -> pub.acknowledged() >= 400);
    assertOk(command("dl-pub", Command.stop("l2", "dpub-l", 1)));
    long total = pub.nextNumber();
    assertEquals(total, pub.acknowledged());
    assertStreamHoldsEachNumberOnce(channel, "dpub-l", 1, total);
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** The stream and the subscriber's consumer, made as the gateway makes them before it starts the services. */
  private static DurableChannel ensure(String app, String subscriber) throws Exception {
    DurableChannel channel = DurableChannel.fromConfig(durable(app)).orElseThrow();
    DurableStreams.ensure(channel, test.jetStreamManagement());
    DurableStreams.ensure(channel, test.jetStreamManagement()); // idempotent
    DurableStreams.ensureSubscriber(channel, test.jetStreamManagement(), subscriber, "readings");
    return channel;
  }

  private static Map<String, String> durable(String app) {
    return Map.of("app", app, "channel", "readings", "durable", "true", "durableMaxAge", "1h",
        "durableMaxBytes", "64MiB");
  }

  /**
   * Kills the hub (SIGKILL) and starts it again on its port and store; the agents and instances
   * reconnect by themselves, the test's own connections are made anew.
   */
  private static void restartHub() throws Exception {
    NatsServer dead = server;
    ProcessHandle.of(dead.pid()).orElseThrow().destroyForcibly();
    dead.onExit().get(10, TimeUnit.SECONDS);
    server = dead.restarted();
    dead.close(); // the store now belongs to the new server
    test.close();
    test = server.connect();
    for (Connection c : gatewayConnections.values()) {
      c.close();
    }
    gatewayConnections.clear();
  }

  private static long received(Subscriber s) {
    return s.stats().publishers().stream().mapToLong(PublisherStats::received).sum();
  }

  /** The stream holds numbers 0 .. total-1 of {@code service} epoch {@code epoch}, each once. */
  private static void assertStreamHoldsEachNumberOnce(DurableChannel channel, String service, long epoch, long total)
      throws Exception {
    JetStreamManagement jsm = test.jetStreamManagement();
    StreamState state = jsm.getStreamInfo(channel.stream()).getStreamState();
    assertEquals(total, state.getMsgCount(), "stored messages");
    boolean[] seen = new boolean[Math.toIntExact(total)];
    for (long seq = state.getFirstSequence(); seq <= state.getLastSequence(); seq++) {
      AppMessage m = MessageCodec.decode(jsm.getMessage(channel.stream(), seq).getData(), AppMessage.class);
      assertEquals(service, m.service());
      assertEquals(epoch, m.epoch());
      int i = Math.toIntExact(m.number());
      assertTrue(!seen[i], "number " + i + " stored twice");
      seen[i] = true;
    }
  }

  private static long distinctNumbers(DurableChannel channel) throws Exception {
    JetStreamManagement jsm = test.jetStreamManagement();
    StreamState state = jsm.getStreamInfo(channel.stream()).getStreamState();
    Map<Long, Boolean> numbers = new HashMap<>();
    for (long seq = state.getFirstSequence(); seq <= state.getLastSequence(); seq++) {
      AppMessage m = MessageCodec.decode(jsm.getMessage(channel.stream(), seq).getData(), AppMessage.class);
      numbers.put(m.number(), true);
    }
    return numbers.size();
  }

  private static String messageId(MessageInfo stored) throws Exception {
    AppMessage m = MessageCodec.decode(stored.getData(), AppMessage.class);
    return DurableChannel.messageId(m.service(), m.epoch(), m.number());
  }

  private static PublisherStats awaitPublisher(List<Received<SubscriberStats>> stats, String service,
      java.util.function.Predicate<PublisherStats> condition, Duration atMost) {
    return await().atMost(atMost).until(() -> stats.stream()
        .flatMap(s -> s.msg().publishers().stream())
        .filter(p -> p.service().equals(service) && condition.test(p))
        .reduce((x, y) -> y), java.util.Optional::isPresent).orElseThrow();
  }

  private EdgeAgent agent(String device) {
    return agent(AgentConfig.builder().deviceId(device).gatewayId(GW).heartbeatInterval(Duration.ofMillis(100)));
  }
}
