package io.fogwise.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.SubscriberStats.PublisherStats;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Data-plane checks that do not trust senders (issue 10): a subscriber accepts only epochs its
 * gateway announced, and an agent refuses a configured subject outside the service's own space.
 */
class DataPlaneChecksIT extends AgentItBase {
  private static final String GW = "gw-dp";

  @Test
  void aForgedEpochIsRejectedAndCountedAndRealMessagesKeepCounting() throws Exception {
    agent(AgentConfig.builder().deviceId("dp-sub").gatewayId(GW));
    agent(AgentConfig.builder().deviceId("dp-pub").gatewayId(GW));
    List<Received<SubscriberStats>> stats = listen(Subjects.subscriberStats("dp-sub1"), SubscriberStats.class);
    Map<String, String> data = Map.of("app", "dpapp", "channel", "ch");
    assertOk(command("dp-sub", Command.start("r1", "dp-sub1", "subscriber", 1, with(data, "statsIntervalMs", "50"))));
    awaitMessage(stats, s -> true);
    // the test plays the gateway: command() announces epoch 1 of dp-pub1 before starting it
    assertOk(command("dp-pub", Command.start("r2", "dp-pub1", "publisher", 1, with(data, "rateHz", "200"))));
    PublisherStats before = awaitPublisher(stats, "dp-pub1", p -> p.received() >= 20);

    // the attack: one message with an epoch nobody issued, naming the real publishing service
    test.publish(Subjects.data("dpapp", "ch"),
        MessageCodec.encode(new AppMessage("mallory", "dp-pub1", 9_000_000_000_000_000_000L, 0, 1)));
    // and one naming a service no gateway ever issued an epoch for
    test.publish(Subjects.data("dpapp", "ch"),
        MessageCodec.encode(new AppMessage("mallory", "ghost", 9_000_000_000_000_000_000L, 0, 1)));

    PublisherStats after = awaitPublisher(stats, "dp-pub1",
        p -> p.unissuedEpoch() == 1 && p.received() >= before.received() + 40);
    assertEquals(1, after.epoch(), "the forged epoch did not become the newest");
    assertEquals(0, after.staleEpoch(), "no real message was dropped as stale");
    assertEquals(0, after.gaps());
    SubscriberStats last = awaitMessage(stats, s -> s.rejected() == 1).msg();
    assertTrue(last.publishers().stream().noneMatch(p -> p.service().equals("ghost")),
        "no track for a service without issued epochs: " + last);
  }

  @Test
  void aStatsSubjectOutsideTheServicesOwnSpaceIsRefusedByTheAgent() {
    agent(AgentConfig.builder().deviceId("dp-bad").gatewayId(GW));
    // sent straight to the agent, as if the gateway's own check had been bypassed
    assertError(command("dp-bad", Command.start("r1", "evil", "subscriber", 1,
        Map.of("app", "dpapp", "statsSubject", "$KV.fw-desired-gw-1.state"))), "config 'statsSubject'");
    assertError(command("dp-bad", Command.start("r2", "evil", "subscriber", 1,
        Map.of("app", "dpapp", "statsSubject", "fw.stats.someone-else"))), "own subject space");
    assertOk(command("dp-bad", Command.start("r3", "fine", "subscriber", 1,
        Map.of("app", "dpapp", "statsSubject", "fw.stats.fine"))));
  }
}
