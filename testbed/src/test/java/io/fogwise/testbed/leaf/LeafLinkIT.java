package io.fogwise.testbed.leaf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.awaitility.Awaitility.await;

import io.fogwise.gateway.leaf.LeafSite;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testbed.link.LinkEmulator;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamManagement;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway's leaf node linked to the cloud hub through the link emulator, with real
 * identities on both servers: what the leaf link lets through (and nothing else), the site's
 * buckets, policy mirrors and history sourced by the cloud, before, during and after an outage.
 */
class LeafLinkIT {
  static final String GW = "gw-1";
  @TempDir Path dir;
  IdentityHome home;
  NatsServer hub;
  NatsServer leaf;
  LinkEmulator link;
  final List<Connection> conns = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    home = IdentityHome.openOrInit(dir.resolve("home"));
    home.issue(Role.GATEWAY, GW, null);
    home.issue(Role.DEVICE, "d1", GW);
    home.issue(Role.CLOUD, "cloud", null);
    hub = NatsServer.builder().identity(home.dir()).store(dir.resolve("hub")).domain(Subjects.CLOUD_DOMAIN)
        .leafListen(0).start();
    link = LinkEmulator.start("127.0.0.1", hub.leafPort());
    leaf = NatsServer.builder().identity(home.dir()).store(dir.resolve("leaf")).domain(Subjects.gatewayDomain(GW))
        .leafOf("127.0.0.1:" + link.port(), home.credsFile(Role.LEAF, GW)).provision(false).start();
  }

  @AfterEach
  void stop() throws Exception {
    for (Connection c : conns) {
      c.close();
    }
    if (leaf != null) {
      leaf.close();
    }
    if (link != null) {
      link.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  Connection connect(String url, NatsAuth auth) throws Exception {
    Connection c = Nats.connect(NatsOptions.component(url, "it", auth).build());
    conns.add(c);
    return c;
  }

  @Test
  void siteRunsThroughTheLeafAndHistoryReachesTheCloudOnceInOrder() throws Exception {
    Connection gw = connect(leaf.url(), home.auth(Role.GATEWAY, GW));
    Connection op = connect(hub.url(), home.operatorAuth());
    await().atMost(Duration.ofSeconds(20)).until(() -> leafConnected());
    LeafSite.ensure(gw, GW);

    // the policy mirror: a bundle put in the cloud shows up on the leaf
    op.keyValue(Subjects.POLICY_BUCKET).put("probe", "v1".getBytes(StandardCharsets.UTF_8));
    KeyValue mirror = gw.keyValue(Subjects.POLICY_BUCKET);
    await().atMost(Duration.ofSeconds(20)).until(() -> mirror.get("probe") != null);

    // service requests from the cloud reach the gateway on the leaf
    Dispatcher d = gw.createDispatcher(m -> gw.publish(m.getReplyTo(), "ok".getBytes(StandardCharsets.UTF_8)));
    d.subscribe(Subjects.services(GW));
    gw.flush(Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      Message r = op.request(Subjects.services(GW), new byte[0], Duration.ofMillis(500));
      return r != null && "ok".equals(new String(r.getData(), StandardCharsets.UTF_8));
    });

    // events go to the site stream and the cloud sources them
    for (int i = 0; i < 10; i++) {
      gw.publish(Subjects.events(GW), ("e" + i).getBytes(StandardCharsets.UTF_8));
    }
    JetStreamManagement cloudJs = op.jetStreamManagement();
    await().atMost(Duration.ofSeconds(20))
        .until(() -> cloudJs.getStreamInfo(Subjects.EVENTS_STREAM).getStreamState().getMsgCount() == 10);

    // outage: cut and reset the link
    link.cut();
    link.resetConnections();
    await().atMost(Duration.ofSeconds(20)).until(() -> !leafConnected());
    for (int i = 10; i < 30; i++) {
      gw.publish(Subjects.events(GW), ("e" + i).getBytes(StandardCharsets.UTF_8));
    }
    op.keyValue(Subjects.POLICY_BUCKET).put("probe", "v2".getBytes(StandardCharsets.UTF_8));
    link.restore();
    await().atMost(Duration.ofSeconds(30)).until(() -> leafConnected());
    await().atMost(Duration.ofSeconds(30))
        .until(() -> cloudJs.getStreamInfo(Subjects.EVENTS_STREAM).getStreamState().getMsgCount() == 30);
    await().atMost(Duration.ofSeconds(30)).until(() -> "v2".equals(mirror.get("probe").getValueAsString()));
    for (int i = 1; i <= 30; i++) {
      var m = cloudJs.getMessage(Subjects.EVENTS_STREAM, i);
      assertEquals("e" + (i - 1), new String(m.getData(), StandardCharsets.UTF_8));
    }
    assertNoViolations();
  }

  /**
   * The link carries only what the site and the cloud exchange: heartbeats, commands, events and
   * telemetry stay on the site (the cloud gets history only by sourcing), and a device on the
   * site cannot be commanded from the cloud.
   */
  @Test
  void siteTrafficStaysOnTheSite() throws Exception {
    Connection gw = connect(leaf.url(), home.auth(Role.GATEWAY, GW));
    Connection device = connect(leaf.url(), home.auth(Role.DEVICE, "d1"));
    Connection op = connect(hub.url(), home.operatorAuth());
    await().atMost(Duration.ofSeconds(20)).until(() -> leafConnected());
    List<String> seenInCloud = new java.util.concurrent.CopyOnWriteArrayList<>();
    // the cloud's own command (payload "cloud") echoes back to this connection; the site's must not arrive
    Dispatcher cloudSide = op.createDispatcher(m -> {
      if (!"cloud".equals(new String(m.getData(), StandardCharsets.UTF_8))) {
        seenInCloud.add(m.getSubject());
      }
    });
    cloudSide.subscribe("fw.hb.>");
    cloudSide.subscribe("fw.tm.>");
    cloudSide.subscribe("fw.ev.>");
    cloudSide.subscribe("fw.cmd.>");
    cloudSide.subscribe(Subjects.status(GW));
    op.flush(Duration.ofSeconds(2));
    List<String> commandsAtDevice = new java.util.concurrent.CopyOnWriteArrayList<>();
    device.createDispatcher(m -> commandsAtDevice.add(m.getSubject())).subscribe(Subjects.command(GW, "d1"));
    device.flush(Duration.ofSeconds(2));
    // interest crosses the link asynchronously: wait until the cloud's subscriptions are known at the site
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      gw.publish(Subjects.status(GW), "{}".getBytes(StandardCharsets.UTF_8));
      return seenInCloud.contains(Subjects.status(GW));
    });
    long statuses = seenInCloud.stream().filter(Subjects.status(GW)::equals).count();
    device.publish(Subjects.heartbeat(GW, "d1"), "{}".getBytes(StandardCharsets.UTF_8));
    device.publish(Subjects.telemetry(GW, "d1"), "{}".getBytes(StandardCharsets.UTF_8));
    gw.publish(Subjects.events(GW), "{}".getBytes(StandardCharsets.UTF_8));
    gw.publish(Subjects.command(GW, "d1"), "{}".getBytes(StandardCharsets.UTF_8));
    op.publish(Subjects.command(GW, "d1"), "cloud".getBytes(StandardCharsets.UTF_8));
    // a marker sent after them, on the same connections, arrives after them (per-connection order)
    gw.publish(Subjects.status(GW), "{}".getBytes(StandardCharsets.UTF_8));
    gw.flush(Duration.ofSeconds(2));
    device.flush(Duration.ofSeconds(2));
    op.flush(Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(10))
        .until(() -> seenInCloud.stream().filter(Subjects.status(GW)::equals).count() > statuses);
    await().atMost(Duration.ofSeconds(10)).until(() -> commandsAtDevice.size() >= 1);
    assertEquals(List.of(), seenInCloud.stream().filter(sj -> !sj.equals(Subjects.status(GW))).toList(),
        "site traffic that reached the cloud");
    assertEquals(1, commandsAtDevice.size(), "only the gateway's command reaches the device, not the cloud's");
    assertNoViolations();
  }

  /** A device revoked in the cloud is cut off at the site too: the leaf's resolver gets the update. */
  @Test
  void aRevocationPushedToTheHubReachesTheSite() throws Exception {
    await().atMost(Duration.ofSeconds(20)).until(() -> leafConnected());
    NatsAuth device = home.auth(Role.DEVICE, "d1");
    Connection before = connect(leaf.url(), device);
    assertEquals(Connection.Status.CONNECTED, before.getStatus());
    home.revoke(Role.DEVICE, "d1", false);
    home.pushAccount(hub.url());
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      try (Connection again = Nats.connect(NatsOptions.oneShot(leaf.url(), Duration.ofSeconds(2), device).build())) {
        return false;
      } catch (java.io.IOException | RuntimeException refused) {
        return true;
      }
    });
    await().atMost(Duration.ofSeconds(20)).until(() -> before.getStatus() != Connection.Status.CONNECTED);
  }

  void assertNoViolations() throws Exception {
    for (Path log : List.of(hub.log(), leaf.log())) {
      List<String> bad = Files.readAllLines(log).stream().filter(l -> l.contains(" Violation - ")).toList();
      assertEquals(List.of(), bad, "permission violations in " + log);
    }
  }

  boolean leafConnected() throws Exception {
    List<String> lines = Files.readAllLines(leaf.log());
    int connected = -1;
    int closed = -1;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.contains("JetStream Not Extended")) { // logged once the link's handshake is done
        connected = i;
      }
      if (l.contains("Leafnode connection closed")) {
        closed = i;
      }
    }
    return connected > closed;
  }
}
