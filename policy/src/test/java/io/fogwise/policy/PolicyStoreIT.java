package io.fogwise.policy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueStatus;
import io.nats.client.api.StorageType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PolicyStore} against a real nats-server with JetStream. */
class PolicyStoreIT {
  private static final KeyPair KEYS = PolicyBundles.generateKeyPair();
  private static final PolicyBundles.SigningKey SIGNING =
      new PolicyBundles.SigningKey(PolicyBundles.keyId(KEYS.getPublic()), KEYS.getPrivate());

  private NatsServer server;
  private Connection nats;
  private PolicyStore store;

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    nats = connect(server);
    store = PolicyStore.open(nats);
  }

  @AfterEach
  void stop() throws Exception {
    if (nats != null) {
      nats.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** An operator connection (the CLI and the miner write policy). */
  private static Connection connect(NatsServer server) throws Exception {
    return Nats.connect(server.operatorAuth().applyTo(new Options.Builder()).server(server.url())
        .reconnectWait(Duration.ofMillis(100))
        .maxReconnects(-1).errorListener(new ErrorListener() { }).connectionListener((c, t) -> { }).build());
  }

  private static PolicyBundle bundle(String scope, long version) {
    return PolicyBundles.sign(scope, version, "test", 1_000L * version,
        List.of(new PolicyBundle.RuleFile("a.drl", "package p;\n// v" + version + "\n")),
        Map.of("threshold", PolicyBundle.Param.infer("3")), SIGNING);
  }

  @Test
  void createsTheBucketAsSpecifiedAndOpensItAgain() throws Exception {
    KeyValueStatus status = nats.keyValueManagement().getBucketInfo(Subjects.POLICY_BUCKET);
    assertEquals(PolicyStore.HISTORY, status.getMaxHistoryPerKey());
    assertEquals(StorageType.File, status.getStorageType());
    assertTrue(status.getMaximumValueSize() >= 1024 * 1024, "max value size " + status.getMaximumValueSize());
    store.publish(bundle("global", 1));
    assertEquals(1, PolicyStore.open(nats).liveVersion("global"), "reopening keeps the content");
  }

  @Test
  void publishStoresTheBundleAndMovesThePointer() throws Exception {
    assertEquals(0, store.liveVersion("global"));
    assertEquals(List.of(), store.versions("global"));
    assertEquals(Optional.empty(), store.raw("global", 1));

    PolicyBundle v1 = bundle("global", 1);
    assertEquals(1, store.publish(v1));
    assertEquals(1, store.liveVersion("global"));
    assertArrayEquals(PolicyBundles.encode(v1), store.raw("global", 1).orElseThrow());
    assertEquals(v1, PolicyBundles.decode(store.raw("global", 1).orElseThrow()));

    store.publish(bundle("global", 2));
    store.publish(bundle("global", 10));
    assertEquals(10, store.liveVersion("global"));
    assertEquals(List.of(1L, 2L, 10L), store.versions("global"), "numeric order");
    assertEquals(10, store.latestVersion("global"));
    KeyValue kv = nats.keyValue(Subjects.POLICY_BUCKET);
    assertEquals("10", kv.get("global").getValueAsString(), "the pointer is decimal text");
  }

  @Test
  void scopesAreSeparate() {
    store.publish(bundle("gw.a", 1));
    store.publish(bundle("gw.ab", 1));
    store.publish(bundle("gw.ab", 2));
    store.publish(bundle("global", 1));
    assertEquals(List.of(1L), store.versions("gw.a"));
    assertEquals(List.of(1L, 2L), store.versions("gw.ab"));
    assertEquals(1, store.liveVersion("gw.a"));
    assertEquals(2, store.liveVersion("gw.ab"));
    assertEquals(0, store.liveVersion("gw.b"));
    assertThrows(IllegalArgumentException.class, () -> store.liveVersion("gw.a.b"));
    assertThrows(IllegalArgumentException.class, () -> store.versions("gw.>"));
  }

  @Test
  void anExistingVersionIsNeverOverwritten() throws Exception {
    PolicyBundle v1 = bundle("global", 1);
    store.publish(v1);
    PolicyBundle other = PolicyBundles.sign("global", 1, "mallory", 5, List.of(), Map.of(), SIGNING);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.publish(other));
    assertEquals("scope global version 1 already exists", e.getMessage());
    assertEquals(v1, PolicyBundles.decode(store.raw("global", 1).orElseThrow()));
    assertEquals(1, store.liveVersion("global"));
  }

  @Test
  void publishFailsWhenThePointerIsAlreadyAtOrBeyondTheVersion() throws Exception {
    store.publish(bundle("global", 5));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.publish(bundle("global", 4)));
    assertTrue(e.getMessage().contains("moved to v5"), e.getMessage());
    assertEquals(5, store.liveVersion("global"));
    assertEquals(List.of(4L, 5L), store.versions("global"), "the bundle stays stored");
  }

  @Test
  void setLiveMovesThePointerToAStoredVersionOnly() {
    store.publish(bundle("global", 1));
    store.publish(bundle("global", 2));
    store.setLive("global", 1);
    assertEquals(1, store.liveVersion("global"));
    assertThrows(IllegalArgumentException.class, () -> store.setLive("global", 7));
    assertEquals(1, store.liveVersion("global"));
    // the pointer is compare-and-set: publishing v3 moves it on from v1
    store.publish(bundle("global", 3));
    assertEquals(3, store.liveVersion("global"));
  }

  @Test
  void aPointerChangedByAnotherWriterIsNotLost() throws Exception {
    store.publish(bundle("global", 1));
    try (Connection other = connect(server)) {
      PolicyStore second = PolicyStore.open(other);
      second.publish(bundle("global", 2));
    }
    store.publish(bundle("global", 3));
    assertEquals(3, store.liveVersion("global"));
    KeyValue kv = nats.keyValue(Subjects.POLICY_BUCKET);
    assertEquals(List.of("1", "2", "3"), kv.history("global").stream().map(e -> e.getValueAsString()).toList());
  }

  @Test
  void watchSeesTheInitialValueAndLaterChanges() throws Exception {
    store.publish(bundle("global", 1));
    List<Long> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = store.watchLive("global", seen::add)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L)));
      store.publish(bundle("global", 2));
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L, 2L)));
      store.setLive("global", 1);
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L, 2L, 1L)));

      KeyValue kv = nats.keyValue(Subjects.POLICY_BUCKET);
      kv.put("global", "not-a-number".getBytes(StandardCharsets.UTF_8));
      kv.put("global", "2".getBytes(StandardCharsets.UTF_8));
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L, 2L, 1L, 2L)));
      kv.delete("global");
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L, 2L, 1L, 2L, 0L)));
    }
    store.publish(bundle("global", 3));
    // closed: a marker change on another scope proves later deliveries would have arrived by now
    List<Long> other = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = store.watchLive("global", other::add)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> other.equals(List.of(3L)));
    }
    assertEquals(List.of(1L, 2L, 1L, 2L, 0L), seen);
  }

  @Test
  void watchWithoutPointerWaitsForTheFirstOne() throws Exception {
    List<Long> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = store.watchLive("gw.gw-1", seen::add)) {
      store.publish(bundle("gw.gw-1", 1));
      store.publish(bundle("global", 1));
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L)));
    }
  }

  @Test
  void watchSurvivesAServerRestart(@TempDir Path storeDir) throws Exception {
    nats.close();
    server.close();
    server = NatsServer.start(0, storeDir);
    int port = server.port();
    nats = connect(server);
    store = PolicyStore.open(nats);
    store.publish(bundle("global", 1));
    List<Long> seen = new CopyOnWriteArrayList<>();
    try (AutoCloseable w = store.watchLive("global", seen::add)) {
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.equals(List.of(1L)));
      server.close();
      server = NatsServer.start(port, storeDir);
      await().atMost(Duration.ofSeconds(10)).until(() -> nats.getStatus() == Connection.Status.CONNECTED);
      long t0 = System.nanoTime();
      try (Connection other = connect(server)) {
        PolicyStore.open(other).publish(bundle("global", 2));
      }
      // recreated on RECONNECTED, not after the ordered consumer's ~30 s heartbeat alarm
      await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains(2L));
      assertEquals(List.of(1L, 2L), seen, "the re-delivered v1 is not reported twice");
      System.out.println("watch recovered after the restart in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
    }
  }

  private static PolicyBundle ruleBundle(String scope, long version, String file, String ruleName) {
    String drl = "package " + file.replace(".drl", "") + "\nimport io.fogwise.rules.model.Device\n"
        + "global io.fogwise.rules.Actions actions\nrule \"" + ruleName + "\"\nwhen\n  Device( cpuLoad != null, cpuLoad > 0."
        + version + " )\nthen\n  actions.alert(\"busy\");\nend\n";
    return PolicyBundles.sign(scope, version, "test", 1, List.of(new PolicyBundle.RuleFile(file, drl)), Map.of(),
        SIGNING);
  }

  @Test
  void precompilesEveryEffectivePolicyAPushMakesLive() throws Exception {
    // the hub created the (empty) artifact bucket at start; nothing is found in it yet
    assertTrue(store.artifact("0".repeat(64)).isEmpty(), "no artifact yet");
    store.publish(ruleBundle("gw.a", 1, "a.drl", "A"));
    store.publish(ruleBundle("gw.b", 1, "b.drl", "B"));
    assertEquals(List.of("gw.a", "gw.b"), store.gatewayScopes());

    PolicyBundle global = ruleBundle("global", 1, "g.drl", "G");
    List<PolicyArtifacts.Precompiled> done = PolicyArtifacts.precompile(store, global, "ci", 5, SIGNING);
    assertEquals(List.of("global v1", "global v1 + gw.a v1", "global v1 + gw.b v1"),
        done.stream().map(PolicyArtifacts.Precompiled::label).toList());
    KeyValueStatus status = nats.keyValueManagement().getBucketInfo(PolicyStore.ARTIFACT_BUCKET);
    assertEquals(1, status.getMaxHistoryPerKey());
    assertEquals(PolicyStore.ARTIFACT_TTL, status.getTtl());

    // What gateway b composes for itself finds its artifact, and it loads.
    EffectivePolicy forB = EffectivePolicy.compose(global, "gw.b", ruleBundle("gw.b", 1, "b.drl", "B"));
    byte[] raw = store.artifact(PolicyArtifacts.sourcesSha256(forB.sources())).orElseThrow();
    assertEquals(List.of("B", "G"),
        PolicyArtifacts.load(PolicyArtifacts.decode(raw), TrustedKeys.of(KEYS.getPublic()), forB).ruleNames());

    // A gateway-scope push: the live global with it.
    List<PolicyArtifacts.Precompiled> one = PolicyArtifacts.precompile(store, ruleBundle("gw.a", 2, "a.drl", "A2"),
        "ci", 6, SIGNING);
    assertEquals(List.of("global v0 + gw.a v2"), one.stream().map(PolicyArtifacts.Precompiled::label).toList(),
        "global is not live yet: the built-in packs");

    PolicyArtifacts.CompileFailed bad = assertThrows(PolicyArtifacts.CompileFailed.class,
        () -> PolicyArtifacts.precompile(store, PolicyBundles.sign("global", 2, "t", 1,
            List.of(new PolicyBundle.RuleFile("x.drl", "package x\nrule \"X\"\nwhen\n  Nope()\nthen\nend\n")),
            Map.of(), SIGNING), "ci", 7, SIGNING));
    assertTrue(bad.errors().get(0).file().equals("x.drl"), bad.errors().toString());
  }
}
