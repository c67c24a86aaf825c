package io.fogwise.testsupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.KeyValue;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A secure hub refuses what each identity may not do, at the hub, and says why. */
class SecureHubIT {
  private static NatsServer hub;

  @BeforeAll
  static void start() {
    hub = NatsServer.start();
  }

  @AfterAll
  static void stop() {
    hub.close();
  }

  /** A connection that records the errors the hub reports to it. */
  record Client(Connection conn, List<String> errors, java.util.concurrent.atomic.AtomicLong lostAt)
      implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      conn.close();
    }

    void publishAndFlush(String subject) throws Exception {
      conn.publish(subject, new byte[] {1});
      conn.flush(Duration.ofSeconds(2));
    }

    void awaitError(String fragment) {
      await().atMost(Duration.ofSeconds(5)).until(() -> errors.stream().anyMatch(e -> e.contains(fragment)));
    }
  }

  static Client connect(NatsAuth auth) throws Exception {
    try {
      return connect0(auth);
    } catch (Exception e) {
      System.out.println("connect failed; hub says: " + hub.lastProblem().orElse("nothing"));
      throw e;
    }
  }

  static Client connect0(NatsAuth auth) throws Exception {
    List<String> errors = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicLong lostAt = new java.util.concurrent.atomic.AtomicLong();
    Options o = NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), auth)
        .connectionListener((conn, type) -> {
          if (type == io.nats.client.ConnectionListener.Events.DISCONNECTED
              || type == io.nats.client.ConnectionListener.Events.CLOSED) {
            lostAt.compareAndSet(0, System.nanoTime());
          }
        })
        .errorListener(new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            errors.add(error);
          }

          @Override
          public void exceptionOccurred(Connection conn, Exception exp) {
            System.out.println("client exception: " + exp);
            exp.printStackTrace(System.out);
          }
        })
        .build();
    return new Client(Nats.connect(o), errors, lostAt);
  }

  @Test
  void anAnonymousClientIsRefused() {
    assertThrows(Exception.class, () -> Nats.connect(new Options.Builder().server(hub.url()).noReconnect().build()));
  }

  @Test
  void aClientWithoutTheCaCannotConnectEvenWithCredentials() throws Exception {
    NatsAuth device = hub.deviceAuth("gw-1", "edge-ca");
    Options plain = new Options.Builder().server(hub.url()).noReconnect()
        .authHandler(Nats.staticCredentials(device.credentials().orElseThrow().jwt().toCharArray(),
            device.credentials().orElseThrow().seed()))
        .build();
    assertThrows(Exception.class, () -> Nats.connect(plain));
  }

  @Test
  void aDeviceUsesOnlyItsOwnSubjects() throws Exception {
    try (Client device = connect(hub.deviceAuth("gw-1", "edge-1"))) {
      device.publishAndFlush(Subjects.heartbeat("gw-1", "edge-1"));
      device.publishAndFlush(Subjects.heartbeat("gw-1", "edge-2"));
      device.awaitError("Permissions Violation for Publish to \"fw.hb.gw-1.edge-2\"");
      device.publishAndFlush(Subjects.services("gw-1"));
      device.awaitError("Permissions Violation for Publish to \"fw.gw.gw-1.svc\"");
      device.publishAndFlush("$KV.fw-desired-gw-1.state");
      device.awaitError("Permissions Violation for Publish to \"$KV.fw-desired-gw-1.state\"");
      device.conn().subscribe("_INBOX.>");
      device.conn().flush(Duration.ofSeconds(2));
      device.awaitError("Permissions Violation for Subscription to \"_INBOX.>\"");
      device.conn().subscribe(Subjects.command("gw-1", "edge-2"));
      device.conn().flush(Duration.ofSeconds(2));
      device.awaitError("Permissions Violation for Subscription to \"fw.cmd.gw-1.edge-2\"");
      long violations = device.errors().stream().filter(e -> e.contains("Violation")).count();
      assertEquals(5, violations, device.errors().toString());
    }
  }

  @Test
  void aGatewayUsesItsOwnBucketAndNotAnothersAndCannotWritePolicy() throws Exception {
    try (Connection operator = hub.connect()) {
      operator.keyValueManagement().create(KeyValueConfiguration.builder().name("fw-desired-gw-9")
          .storageType(StorageType.Memory).build());
    }
    try (Client gateway = connect(hub.auth(Role.GATEWAY, "gw-1"))) {
      // its buckets were created by the hub when it was issued; it may not create streams itself
      KeyValue own = gateway.conn().keyValue(Subjects.desiredBucket("gw-1"));
      own.put("state", "mine");
      assertEquals("mine", new String(own.get("state").getValue()));
      assertThrows(Exception.class, () -> gateway.conn().keyValue("fw-desired-gw-9").put("state", "theirs"));
      gateway.awaitError("Permissions Violation");
      gateway.publishAndFlush("$KV." + Subjects.POLICY_BUCKET + ".global");
      gateway.awaitError("Permissions Violation for Publish to \"$KV.fw-rules.global\"");
      gateway.publishAndFlush(Subjects.services("gw-2"));
      gateway.awaitError("Permissions Violation for Publish to \"fw.gw.gw-2.svc\"");
      // A stream it could create or change could capture any subject (the hub does not check a
      // stream's subjects). It may create streams of its site's names only (on its own leaf
      // node), and the hub created all of those first, so here the create of one that captures
      // another gateway's commands is refused; changing a stream is not allowed at all.
      var takeover = io.nats.client.api.StreamConfiguration.builder().name("KV_" + Subjects.desiredBucket("gw-1"))
          .subjects(Subjects.command("gw-2", "*")).storageType(StorageType.Memory).build();
      var refused = assertThrows(io.nats.client.JetStreamApiException.class,
          () -> gateway.conn().jetStreamManagement().addStream(takeover));
      assertTrue(refused.getMessage().contains("already in use"), refused.getMessage());
      gateway.publishAndFlush("$JS.API.STREAM.UPDATE." + "KV_" + Subjects.desiredBucket("gw-1"));
      gateway.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.UPDATE.KV_fw-desired-gw-1\"");
      gateway.publishAndFlush("$JS.API.STREAM.CREATE.KV_fw-desired-gw-2");
      gateway.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.CREATE.KV_fw-desired-gw-2\"");
    }
  }

  @Test
  void anInstanceCredentialReachesOnlyItsServiceAndApplication() throws Exception {
    hub.auth(Role.GATEWAY, "gw-2");
    InstanceSigner signer = InstanceSigner.load(hub.identity().instanceKeyFile("gw-2"));
    NatsAuth instance = NatsAuth.of(signer.issue("pub-a", "demo", 3, Duration.ofMinutes(5)), hub.identity().caFile());
    try (Connection operator = hub.connect()) {
      operator.keyValue(Subjects.EPOCH_BUCKET).put("gw-2.pub-a", "3"); // the hub created the bucket
    }
    try (Client c = connect(instance)) {
      c.publishAndFlush("fw.data.demo.readings");
      c.publishAndFlush("fw.stats.pub-a");
      // its own inbox works: a KV read is a request answered there
      assertNotNull(c.conn().keyValue(Subjects.EPOCH_BUCKET).get("gw-2.pub-a"));
      assertTrue(c.errors().isEmpty(), c.errors().toString());
      c.publishAndFlush("fw.data.other.readings");
      c.awaitError("Permissions Violation for Publish to \"fw.data.other.readings\"");
      c.publishAndFlush("fw.stats.pub-b");
      c.awaitError("Permissions Violation for Publish to \"fw.stats.pub-b\"");
      c.publishAndFlush(Subjects.heartbeat("gw-2", "edge-1"));
      c.awaitError("Permissions Violation for Publish to \"fw.hb.gw-2.edge-1\"");
    }
  }

  @Test
  void revocationClosesTheLiveConnectionWithinTwoSeconds() throws Exception {
    try (Client device = connect(hub.deviceAuth("gw-1", "edge-revoked"))) {
      assertEquals(Connection.Status.CONNECTED, device.conn().getStatus());
      hub.identity().revoke(Role.DEVICE, "edge-revoked", false);
      long t0 = System.nanoTime();
      hub.identity().pushAccount(hub.url());
      long answered = System.nanoTime();
      await().atMost(Duration.ofSeconds(2)).until(() -> device.conn().getStatus() != Connection.Status.CONNECTED);
      long closed = device.lostAt().get();
      System.out.printf("revocation closed the connection %d ms after the push began (the push returned after %d ms)%n",
          (closed - t0) / 1_000_000, (answered - t0) / 1_000_000);
      device.awaitError("Revoked");
    }
    Exception again = assertThrows(Exception.class, () -> connect(hub.identity().auth(Role.DEVICE, "edge-revoked")));
    assertTrue(again.toString().contains("Authorization") || again.toString().contains("Authentication"),
        again.toString());
  }

  @Test
  void identitiesAndRevocationsSurviveAHubRestart() throws Exception {
    try (NatsServer own = NatsServer.builder().start()) {
      NatsAuth kept = own.deviceAuth("gw-1", "edge-kept");
      NatsAuth gone = own.deviceAuth("gw-1", "edge-gone");
      own.identity().revoke(Role.DEVICE, "edge-gone", false);
      own.identity().pushAccount(own.url());
      ProcessHandle.of(own.pid()).orElseThrow().destroyForcibly();
      own.onExit().get();
      try (NatsServer again = own.restarted()) {
        try (Connection c = Nats.connect(NatsOptions.oneShot(again.url(), Duration.ofSeconds(5), kept).build())) {
          assertEquals(Connection.Status.CONNECTED, c.getStatus());
        }
        assertThrows(Exception.class, () -> Nats.connect(NatsOptions.oneShot(again.url(), Duration.ofSeconds(5), gone).build()));
        assertThrows(Exception.class, () -> Nats.connect(new Options.Builder().server(again.url()).noReconnect().build()));
      }
    }
  }

  @Test
  void theOperatorCannotReadOrForgeOthersReplies() throws Exception {
    try (Client op = connect(hub.operatorAuth())) {
      op.conn().subscribe("_INBOX.>");
      op.conn().flush(Duration.ofSeconds(2));
      op.awaitError("Permissions Violation for Subscription to \"_INBOX.>\"");
      op.publishAndFlush("_INBOX.someone.else");
      op.awaitError("Permissions Violation for Publish to \"_INBOX.someone.else\"");
    }
  }

  @Test
  void revokingAGatewayEndsItsInstancesCredentials() throws Exception {
    hub.auth(Role.GATEWAY, "gw-doomed");
    InstanceSigner signer = InstanceSigner.load(hub.identity().instanceKeyFile("gw-doomed"));
    NatsAuth instance = NatsAuth.of(signer.issue("svc-d", "demo", 1, Duration.ZERO), hub.identity().caFile());
    try (Client c = connect(instance)) {
      c.publishAndFlush("fw.data.demo.x");
      hub.identity().revoke(Role.GATEWAY, "gw-doomed", false);
      hub.identity().pushAccount(hub.url());
      await().atMost(Duration.ofSeconds(2)).until(() -> c.conn().getStatus() != Connection.Status.CONNECTED);
    }
    assertThrows(Exception.class, () -> connect(NatsAuth.of(signer.issue("svc-e", "demo", 1, Duration.ZERO),
        hub.identity().caFile())));
  }
}
