package io.fogwise.policy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.Role;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.PolicyOutcome;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PolicyRollout} against a real nats-server; the gateways are simulated by publishing
 * their statuses and outcomes on the real subjects from a connection of their own.
 */
class PolicyRolloutIT {
  private static final KeyPair KEYS = PolicyBundles.generateKeyPair();
  private static final PolicyBundles.SigningKey SIGNING =
      new PolicyBundles.SigningKey(PolicyBundles.keyId(KEYS.getPublic()), KEYS.getPrivate());
  private static final String RULE = PolicyArtifactsTest.RULE;
  private static final Duration LONG = Duration.ofSeconds(30);

  private NatsServer server;
  private Connection nats;
  /** Per gateway id, a connection with that gateway's identity: the test plays the gateways. */
  private final Map<String, Connection> gateways = new java.util.concurrent.ConcurrentHashMap<>();
  private PolicyStore store;
  private PolicyRollout rollout;

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    nats = connect(server.operatorAuth());
    store = PolicyStore.open(nats);
    rollout = PolicyRollout.open(nats);
  }

  @AfterEach
  void stop() throws Exception {
    if (rollout != null) {
      rollout.close();
    }
    for (Connection c : gateways.values()) {
      c.close();
    }
    gateways.clear();
    if (nats != null) {
      nats.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private Connection connect(NatsAuth auth) throws Exception {
    return Nats.connect(NatsOptions.oneShot(server.url(), Duration.ofSeconds(5), auth)
        .errorListener(new ErrorListener() { }).connectionListener((c, t) -> { }).build());
  }

  private Connection gateway(String gatewayId) {
    return gateways.computeIfAbsent(gatewayId, id -> {
      try {
        return connect(server.auth(Role.GATEWAY, id));
      } catch (Exception e) {
        throw new AssertionError("cannot connect as gateway " + id + "; hub: " + server.lastProblem().orElse("-"), e);
      }
    });
  }

  private static PolicyBundle bundle(String scope, long version, String rule) {
    return PolicyBundles.sign(scope, version, "test", 1_000L,
        List.of(new PolicyBundle.RuleFile("hot.drl", rule)), Map.of(), SIGNING);
  }

  private void status(String gatewayId, Map<String, Long> policyVersions) throws Exception {
    Connection gateway = gateway(gatewayId);
    gateway.publish(Subjects.status(gatewayId), MessageCodec.encode(new GatewayStatus(gatewayId,
        System.currentTimeMillis(), 1, Map.of(), 0, 0, "global v0", policyVersions, List.of())));
    gateway.flush(Duration.ofSeconds(5));
  }

  private void outcome(String gatewayId, String scope, long version, PolicyOutcome.State state) {
    gateway(gatewayId).publish(Subjects.policyOutcomes(gatewayId), MessageCodec.encode(new PolicyOutcome(gatewayId, scope,
        version, state, state == PolicyOutcome.State.APPLIED ? null : "test says " + state, List.of(), 5, 7,
        scope + " v" + version, System.currentTimeMillis(), state == PolicyOutcome.State.APPLIED
            ? PolicyOutcome.Build.COMPILED : null, null)));
  }

  @Test
  void seesOnlineGatewaysWithTheirLatestStatusAndArrivalTime() throws Exception {
    long before = System.nanoTime();
    status("gw-b", Map.of());
    status("gw-a", Map.of("global", 3L));
    await().atMost(LONG).until(() -> rollout.online().keySet(), k -> k.equals(Set.of("gw-a", "gw-b")));
    PolicyRollout.Seen a = rollout.online().get("gw-a");
    assertEquals(3L, a.status().policyVersions().get("global"));
    assertTrue(a.atNanos() - before >= 0 && a.atNanos() - System.nanoTime() <= 0, "arrival time " + a.atNanos());
    assertEquals(List.of("gw-a", "gw-b"), List.copyOf(rollout.online().keySet()), "by id");
  }

  @Test
  void awaitsStatusesSentAfterTheGivenTimeOnly() throws Exception {
    status("gw-a", Map.of());
    await().atMost(LONG).until(() -> rollout.online().containsKey("gw-a"));
    long since = System.nanoTime();

    TimeoutException old = assertThrows(TimeoutException.class,
        () -> rollout.awaitStatuses(List.of("gw-a", "gw-c"), since, Duration.ofMillis(300)));
    assertEquals("no status on fw.gw.*.status within 300 ms from gw-a, gw-c", old.getMessage(),
        "a status from before the given time does not count");

    CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
      try {
        rollout.awaitStatuses(List.of("gw-a", "gw-b"), since, LONG);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    status("gw-a", Map.of());
    status("gw-b", Map.of());
    waiting.get(LONG.toSeconds(), TimeUnit.SECONDS);
  }

  @Test
  void aFailingCheckEndsTheStatusWaitAtOnce() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> rollout.awaitStatuses(List.of("gw-never"), System.nanoTime(), LONG, () -> {
          throw new IllegalStateException("gateway gw-never exited");
        }));
    assertEquals("gateway gw-never exited", e.getMessage());
  }

  @Test
  void nextVersionIsAboveEveryStoredVersionAndWhatOnlineGatewaysRun() throws Exception {
    assertEquals(new PolicyRollout.NextVersion("global", 1, 0, 0, null), rollout.nextVersion("global"));
    store.publish(bundle("global", 1, RULE));
    store.publish(bundle("global", 2, RULE));
    store.setLive("global", 1);
    PolicyRollout.NextVersion next = rollout.nextVersion("global");
    assertEquals(3, next.version(), "above the stored v2, not just the live v1");
    assertFalse(next.aboveStored());

    status("gw-b", Map.of("global", 7L));
    status("gw-a", Map.of("global", 7L, "gw.gw-a", 4L));
    await().atMost(LONG).until(() -> rollout.online().size() == 2);
    next = rollout.nextVersion("global");
    assertEquals(new PolicyRollout.NextVersion("global", 8, 2, 7, "gw-a"), next, "the bucket lost v3..v7");
    assertTrue(next.aboveStored());
    assertEquals(5, rollout.nextVersion("gw.gw-a").version());
  }

  @Test
  void nextVersionRefusesAPointerNobodyCouldBuildOn() throws Exception {
    var kv = nats.keyValue(Subjects.POLICY_BUCKET);
    kv.put("global", "garbage".getBytes(StandardCharsets.US_ASCII));
    PolicyRollout.NoNextVersion malformed = assertThrows(PolicyRollout.NoNextVersion.class,
        () -> rollout.nextVersion("global"));
    assertEquals(PolicyRollout.NoNextVersion.Reason.MALFORMED_POINTER, malformed.reason());
    assertEquals("the live pointer global in bucket fw-rules holds 'garbage' (not a version number)",
        malformed.getMessage());

    kv.put("global", "9".getBytes(StandardCharsets.US_ASCII));
    PolicyRollout.NoNextVersion missing = assertThrows(PolicyRollout.NoNextVersion.class,
        () -> rollout.nextVersion("global"));
    assertEquals(PolicyRollout.NoNextVersion.Reason.POINTER_NOT_STORED, missing.reason());
    assertEquals("the live pointer global in bucket fw-rules names v9, which is not stored", missing.getMessage());

    store.publish(bundle("gw.gw-x", PolicyStore.MAX_VERSION, RULE));
    PolicyRollout.NoNextVersion exhausted = assertThrows(PolicyRollout.NoNextVersion.class,
        () -> rollout.nextVersion("gw.gw-x"));
    assertEquals(PolicyRollout.NoNextVersion.Reason.EXHAUSTED, exhausted.reason());
    assertEquals("gw.gw-x", exhausted.scope());
    assertTrue(exhausted.getMessage().contains("above the largest allowed"), exhausted.getMessage());
  }

  @Test
  void precompileStoresArtifactsOnceAndNamesTheErrors() throws Exception {
    PolicyRollout.Artifacts first = rollout.precompile(bundle("global", 1, RULE), "test", SIGNING);
    assertEquals(1, first.count());
    assertEquals(0, first.reused());
    assertTrue(first.bytes() > 0 && first.millis() >= 0, first.toString());
    assertTrue(store.artifact(first.ruleSets().get(0).sourcesSha256()).isPresent(), "stored");

    PolicyRollout.Artifacts again = rollout.precompile(bundle("global", 2, RULE), "test", SIGNING);
    assertEquals(1, again.reused(), "same sources, runtime and key: reused");
    assertEquals(0, again.bytes());

    PolicyArtifacts.CompileFailed failed = assertThrows(PolicyArtifacts.CompileFailed.class,
        () -> rollout.precompile(bundle("global", 3, RULE.replace("then", "thenn")), "test", SIGNING));
    assertFalse(failed.errors().isEmpty());
  }

  @Test
  void collectsTheOutcomeOfEachExpectedGatewayFromTheMomentItPublishes() throws Exception {
    // Fake gateways answer as soon as the pointer moves: before the caller starts waiting.
    try (AutoCloseable watch = store.watchLive("global", v -> {
      if (v > 0) {
        outcome("gw-a", "global", v, PolicyOutcome.State.APPLIED);
        outcome("gw-b", "global", v, PolicyOutcome.State.REJECTED);
      }
    })) {
      PolicyRollout.Publication p = rollout.publish(bundle("global", 1, RULE));
      assertEquals(1, store.liveVersion("global"));
      PolicyRollout.Outcomes got = rollout.awaitOutcomes(p, Set.of("gw-a", "gw-b"), LONG);
      assertEquals(Set.of("gw-a", "gw-b"), got.received().keySet());
      assertTrue(got.silent().isEmpty());
      assertEquals(PolicyOutcome.State.APPLIED, got.received().get("gw-a").outcome().state());
      assertEquals(PolicyOutcome.State.REJECTED, got.received().get("gw-b").outcome().state());
      for (PolicyRollout.Outcome o : got.received().values()) {
        assertTrue(o.nanosAfterPublish() > 0 && o.millis() < LONG.toMillis(), o.toString());
      }
    }
  }

  @Test
  void theLastOutcomeOfAGatewayCountsAndOthersForOtherBundlesDoNot() throws Exception {
    PolicyRollout.Publication p = rollout.publish(bundle("global", 1, RULE));
    outcome("gw-a", "global", 1, PolicyOutcome.State.APPLIED);
    outcome("gw-a", "global", 2, PolicyOutcome.State.REJECTED);
    outcome("gw-a", "gw.gw-a", 1, PolicyOutcome.State.REJECTED);
    outcome("gw-a", "global", 1, PolicyOutcome.State.ROLLED_BACK);
    outcome("gw-new", "global", 1, PolicyOutcome.State.APPLIED);
    // One publisher, one subscriber: NATS keeps the order, so gw-z's answer comes after the rest.
    outcome("gw-z", "global", 1, PolicyOutcome.State.APPLIED);
    PolicyRollout.Outcomes got = rollout.awaitOutcomes(p, Set.of("gw-a", "gw-z"), LONG);
    assertEquals(PolicyOutcome.State.ROLLED_BACK, got.received().get("gw-a").outcome().state());
    assertEquals(Set.of("gw-a", "gw-new", "gw-z"), got.received().keySet(), "a gateway not expected counts too");
    assertEquals(Set.of("gw-a", "gw-z"), got.expected());
  }

  @Test
  void namesTheExpectedGatewaysThatStayedSilent() throws Exception {
    PolicyRollout.Publication p = rollout.publish(bundle("global", 1, RULE));
    outcome("gw-a", "global", 1, PolicyOutcome.State.APPLIED);
    PolicyRollout.Outcomes got = rollout.awaitOutcomes(p, Set.of("gw-a", "gw-c"), Duration.ofSeconds(3));
    assertEquals(Set.of("gw-c"), got.silent());
    assertNull(got.received().get("gw-c"));
  }

  @Test
  void aPublishThatLosesToAnotherFailsClearly() {
    store.publish(bundle("global", 1, RULE));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> rollout.publish(bundle("global", 1, RULE)));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
  }
}
