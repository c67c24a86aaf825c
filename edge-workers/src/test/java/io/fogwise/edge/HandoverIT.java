package io.fogwise.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.services.Publisher;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.InstanceReport.InstanceState;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.SubscriberStats.PublisherStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Planned make-before-break migration of a publisher between two agents on a real nats-server:
 * standby start, HANDOVER, ACTIVATE, continuous numbering across epochs, output counts and the
 * {@code stallAfter} fault. The gaps printed are measured, not asserted.
 */
class HandoverIT extends AgentItBase {
  private static final String GW = "gw-ho";

  @Test
  void aPlannedHandoverContinuesTheNumberingWithoutLossOrDuplicates() {
    EdgeAgent a = agent("ho-a");
    EdgeAgent b = agent("ho-b");
    agent("ho-sub");
    Map<String, String> data = Map.of("app", "hoapp", "channel", "ch1");
    List<Received<AppMessage>> msgs = listen(Subjects.data("hoapp", "ch1"), AppMessage.class);
    List<Received<Heartbeat>> hbA = listen(Subjects.heartbeat(GW, "ho-a"), Heartbeat.class);
    List<Received<Heartbeat>> hbB = listen(Subjects.heartbeat(GW, "ho-b"), Heartbeat.class);
    List<Received<SubscriberStats>> stats = listen(Subjects.subscriberStats("sub"), SubscriberStats.class);
    assertOk(command("ho-sub", Command.start("r0", "sub", "subscriber", 1, with(data, "statsIntervalMs", "50"))));
    awaitMessage(stats, s -> true);

    Map<String, String> pubConfig = with(data, "rateHz", "100");
    assertOk(command("ho-a", Command.start("r1", "pub", "publisher", 1, pubConfig)));
    await().atMost(WAIT).until(() -> msgs.size() >= 30);
    InstanceReport runningA = awaitInstance(hbA, "pub", 1, r -> r.state() == InstanceState.RUNNING && r.outputs() >= 10);
    assertNotNull(runningA.outputs());

    // the successor is started idle: connected, reported STANDBY, publishing nothing
    assertOk(command("ho-b", Command.standby("r2", "pub", "publisher", 2, pubConfig)));
    Publisher successor = (Publisher) b.service("pub").orElseThrow();
    InstanceReport standby = awaitInstance(hbB, "pub", 2, r -> true);
    assertEquals(new InstanceReport("pub", "publisher", 2, InstanceState.STANDBY, 0, 0L), standby);
    assertTrue(epoch(msgs, 2).isEmpty(), "no epoch-2 message before ACTIVATE");

    // as a gateway would: ACTIVATE the successor as soon as the HANDOVER is answered
    long handoverSent = System.nanoTime();
    CommandReply handedOver = command("ho-a", Command.handover("r3", "pub", 1));
    long handoverAnswered = System.nanoTime();
    assertOk(handedOver);
    long n = handedOver.nextNumber();
    CommandReply activated = command("ho-b", Command.activate("r4", "pub", 2, n));
    long activateAnswered = System.nanoTime();
    assertOk(activated);
    assertEquals("r3", handedOver.requestId());
    assertNull(activated.nextNumber());
    assertEquals(InstanceState.STANDBY, a.instances().get(0).state(), "handed over, still running, STANDBY");
    assertEquals(n, a.instances().get(0).outputs(), "it published 0 .. n-1");
    await().atMost(WAIT).until(() -> epoch(msgs, 2).size() >= 50);
    awaitInstance(hbB, "pub", 2, r -> r.state() == InstanceState.RUNNING && r.outputs() >= 40);
    // the handed-over instance keeps running but its output count stays put
    long hbFrom = hbA.get(hbA.size() - 1).msg().seq();
    awaitMessage(hbA, h -> h.seq() >= hbFrom + 3);
    for (Received<Heartbeat> h : hbA) {
      if (h.msg().seq() > hbFrom) {
        assertEquals(
            new InstanceReport("pub", "publisher", 1, InstanceState.STANDBY, 0, n), h.msg().instances().get(0));
      }
    }

    // stop both; every published message must arrive exactly once, numbered 0 .. total-1
    assertOk(command("ho-b", Command.stop("r5", "pub", 2)));
    assertOk(command("ho-a", Command.stop("r6", "pub", 1)));
    long total = successor.nextNumber();
    await().atMost(WAIT).until(() -> msgs.size() >= total);
    List<Received<AppMessage>> all = List.copyOf(msgs);
    assertContinuous(all, 0);
    assertEquals(total, all.size());
    for (Received<AppMessage> r : all) {
      assertTrue(r.msg().epoch() == 1 ? r.msg().number() < n : r.msg().number() >= n, () -> "epoch/number " + r.msg());
    }
    List<Received<AppMessage>> e2 = epoch(all, 2);
    assertEquals(n, e2.get(0).msg().number(), "the successor's first message carries the handed-over number");
    PublisherStats seen = awaitPublisher(stats, "pub", p -> p.epoch() == 2 && p.received() >= total);
    assertEquals(total, seen.received());
    assertEquals(0, seen.missing());
    assertEquals(0, seen.duplicates());
    assertEquals(0, seen.staleEpoch());

    Received<AppMessage> lastOld = last(epoch(all, 1));
    Received<AppMessage> firstNew = e2.get(0);
    System.out.printf(
        Locale.ROOT,
        "HANDOVER at 100 Hz: next number %d; gap between last epoch-1 and first epoch-2 message at the subscriber"
            + " %.2f ms (period 10 ms): last epoch-1 message %.2f ms before HANDOVER was sent, HANDOVER round trip"
            + " %.2f ms, ACTIVATE round trip %.2f ms, first epoch-2 message %.2f ms after the ACTIVATE reply%n",
        n,
        ms(firstNew.nanos() - lastOld.nanos()),
        ms(handoverSent - lastOld.nanos()),
        ms(handoverAnswered - handoverSent),
        ms(activateAnswered - handoverAnswered),
        ms(firstNew.nanos() - activateAnswered));
  }

  @Test
  void repeatedHandoversBackAndForthAt1kHzLoseAndDuplicateNothing() {
    agent("pp-a");
    agent("pp-b");
    List<Received<AppMessage>> msgs = listen(Subjects.data("ppapp", "ch"), AppMessage.class);
    Map<String, String> config = Map.of("app", "ppapp", "channel", "ch", "rateHz", "1000");
    assertOk(command("pp-a", Command.start("s1", "pp", "publisher", 1, config)));
    await().atMost(WAIT).until(() -> msgs.size() >= 100);
    List<Double> gaps = new ArrayList<>();
    List<String> rtts = new ArrayList<>();
    long next = 0;
    for (int epoch = 2; epoch <= 7; epoch++) {
      String from = epoch % 2 == 0 ? "pp-a" : "pp-b";
      String to = epoch % 2 == 0 ? "pp-b" : "pp-a";
      // replaces the epoch handed over two steps ago on that device
      assertOk(command(to, Command.standby("sb" + epoch, "pp", "publisher", epoch, config)));
      long t0 = System.nanoTime();
      CommandReply r = command(from, Command.handover("h" + epoch, "pp", epoch - 1));
      long t1 = System.nanoTime();
      assertOk(r);
      next = r.nextNumber();
      assertOk(command(to, Command.activate("a" + epoch, "pp", epoch, next)));
      long t2 = System.nanoTime();
      rtts.add(String.format(Locale.ROOT, "%.2f/%.2f", ms(t1 - t0), ms(t2 - t1)));
      int e = epoch;
      long mark = next;
      await().atMost(WAIT).until(() -> epoch(msgs, e).size() >= 100);
      assertEquals(mark, epoch(msgs, e).get(0).msg().number());
      gaps.add(ms(epoch(msgs, e).get(0).nanos() - last(epoch(msgs, e - 1)).nanos()));
    }
    CommandReply last = command("pp-a", Command.handover("hz", "pp", 7));
    long total = last.nextNumber();
    assertTrue(total > next);
    await().atMost(WAIT).until(() -> msgs.size() >= total);
    List<Received<AppMessage>> all = List.copyOf(msgs);
    assertContinuous(all, 0);
    assertEquals(total, all.size());
    System.out.printf(
        Locale.ROOT,
        "HANDOVER at 1 kHz, 6 handovers, %d messages, 0 lost, 0 duplicated; gaps at the subscriber (ms): %s;"
            + " HANDOVER/ACTIVATE round trips (ms): %s%n",
        total,
        gaps.stream().map(g -> String.format(Locale.ROOT, "%.2f", g)).toList(),
        rtts);
  }

  @Test
  void outputsGrowWhileRunningAndStopGrowingAfterStallAfterWhileStillRunning() {
    agent("stall-dev");
    List<Received<AppMessage>> msgs = listen(Subjects.data("stallapp", "ch"), AppMessage.class);
    List<Received<Heartbeat>> hbs = listen(Subjects.heartbeat(GW, "stall-dev"), Heartbeat.class);
    Map<String, String> config = Map.of("app", "stallapp", "channel", "ch", "rateHz", "100", "stallAfter", "40");
    assertOk(command("stall-dev", Command.start("r1", "st", "publisher", 1, config)));

    awaitInstance(hbs, "st", 1, r -> r.outputs() == 40);
    long stalledFrom = hbs.get(hbs.size() - 1).msg().seq();
    awaitMessage(hbs, h -> h.seq() >= stalledFrom + 5);
    List<Long> counts = new ArrayList<>();
    for (Received<Heartbeat> h : List.copyOf(hbs)) {
      InstanceReport r = h.msg().instances().isEmpty() ? null : h.msg().instances().get(0);
      if (r != null) {
        assertEquals(InstanceState.RUNNING, r.state(), "a stalled publisher is still reported RUNNING");
        counts.add(r.outputs());
      }
    }
    for (int i = 1; i < counts.size(); i++) {
      assertTrue(counts.get(i) >= counts.get(i - 1), () -> "outputs never decrease: " + counts);
    }
    assertTrue(counts.stream().filter(c -> c > 0 && c < 40).distinct().count() >= 2, () -> "grew in steps: " + counts);
    assertEquals(40, counts.get(counts.size() - 1));
    assertEquals(40, msgs.size());
    assertContinuous(msgs, 0);
  }

  @Test
  void handoverAndActivateOfWhatIsNotHostedAreErrorsAndRetriesAreHarmless() {
    EdgeAgent agent = agent("err-ho");
    assertError(command("err-ho", Command.handover("r1", "ghost", 1)), "no instance of service 'ghost' epoch 1 on device err-ho");
    CommandReply r = command("err-ho", Command.activate("r2", "ghost", 1, 5));
    assertError(r, "no instance of service 'ghost' epoch 1 on device err-ho");
    assertEquals("r2", r.requestId());

    assertOk(command("err-ho", Command.standby("r3", "p", "publisher", 4, Map.of("app", "errapp", "rateHz", "50"))));
    assertError(command("err-ho", Command.handover("r4", "p", 3)), "no instance of service 'p' epoch 3 on device err-ho (it hosts epoch 4)");
    assertError(command("err-ho", Command.activate("r5", "p", 5, 0)), "(it hosts epoch 4)");
    assertOk(command("err-ho", Command.activate("r6", "p", 4, 10)));
    assertOk(command("err-ho", Command.activate("r7", "p", 4, 0)));
    Publisher p = (Publisher) agent.service("p").orElseThrow();
    await().atMost(WAIT).until(() -> p.nextNumber() >= 12);
    CommandReply first = command("err-ho", Command.handover("r8", "p", 4));
    CommandReply again = command("err-ho", Command.handover("r9", "p", 4));
    assertEquals(first.nextNumber(), again.nextNumber(), "a retried HANDOVER passes the same number on");
    assertTrue(first.nextNumber() >= 12, "the retried ACTIVATE did not rewind to 0: " + first);

    // a service that cannot pause: only its reported state changes; no number to pass on
    assertOk(command("err-ho", Command.standby("r10", "s", "subscriber", 1, Map.of("app", "errapp"))));
    assertEquals(InstanceState.STANDBY, report(agent, "s").state());
    assertNull(report(agent, "s").outputs());
    assertOk(command("err-ho", Command.activate("r11", "s", 1, 0)));
    assertEquals(InstanceState.RUNNING, report(agent, "s").state());
    CommandReply sub = command("err-ho", Command.handover("r12", "s", 1));
    assertOk(sub);
    assertNull(sub.nextNumber());
    assertEquals(InstanceState.STANDBY, report(agent, "s").state());
    assertEquals(0, agent.rejections().total());
  }

  // ---- helpers ----------------------------------------------------------------------------

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static InstanceReport report(EdgeAgent agent, String service) {
    return agent.instances().stream().filter(r -> r.service().equals(service)).findFirst().orElseThrow();
  }

  private static List<Received<AppMessage>> epoch(List<Received<AppMessage>> msgs, long epoch) {
    return msgs.stream().filter(r -> r.msg().epoch() == epoch).toList();
  }

  private static <T> Received<T> last(List<Received<T>> list) {
    return list.get(list.size() - 1);
  }

  /** Numbers in arrival order are from, from+1, ...: nothing lost, duplicated or reordered. */
  private static void assertContinuous(List<Received<AppMessage>> msgs, long from) {
    long expected = from;
    for (Received<AppMessage> r : msgs) {
      long want = expected;
      assertEquals(want, r.msg().number(), () -> "expected number " + want + ", got " + r.msg());
      expected++;
    }
  }

  private static InstanceReport awaitInstance(
      List<Received<Heartbeat>> hbs, String service, long epoch, Predicate<InstanceReport> condition) {
    Predicate<InstanceReport> match = r -> r.service().equals(service) && r.epoch() == epoch && condition.test(r);
    return awaitMessage(hbs, h -> h.instances().stream().anyMatch(match)).msg().instances().stream()
        .filter(match)
        .findFirst()
        .orElseThrow();
  }

  private EdgeAgent agent(String device) {
    return agent(AgentConfig.builder().deviceId(device).gatewayId(GW).heartbeatInterval(Duration.ofMillis(50)));
  }


}
