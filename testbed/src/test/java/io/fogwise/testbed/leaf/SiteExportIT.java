package io.fogwise.testbed.leaf;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.leaf.LeafSite;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.identity.SiteHome;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site exported with {@code fogwise identity export-site}: it runs the site's NATS as a leaf
 * node of the hub, its gateway and devices connect with what it holds, a revocation in the cloud
 * reaches it — and it holds no private key of the operator, the accounts or the CA.
 */
class SiteExportIT {
  static final String GW = "gw-1";

  @Test
  void aSiteRunsFromAnExportThatHoldsNoFleetKey(@TempDir Path dir) throws Exception {
    IdentityHome home = IdentityHome.openOrInit(dir.resolve("home"));
    home.issue(Role.GATEWAY, GW, null);
    home.issue(Role.DEVICE, "d1", GW);
    home.issue(Role.DEVICE, "other", "gw-2");
    Path site = dir.resolve("site");
    home.exportSite(GW, site, List.of("site-1.example"));

    // what it holds, and what it must not
    assertTrue(SiteHome.isSite(site));
    assertFalse(Files.exists(site.resolve("keys")));
    assertTrue(Files.exists(site.resolve("creds/device-d1.creds")));
    assertFalse(Files.exists(site.resolve("creds/device-other.creds")), "another gateway's device");
    assertFalse(Files.exists(site.resolve("creds/operator-admin.creds")), "the operator's credentials");
    List<String> secrets = new ArrayList<>();
    for (String k : List.of("keys/operator.nk", "keys/fleet.nk", "keys/sys.nk", "keys/ca-key.pem")) {
      secrets.add(Files.readString(home.dir().resolve(k)).strip());
    }
    try (Stream<Path> files = Files.walk(site)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(f);
        for (String secret : secrets) {
          assertFalse(text.contains(secret), f + " holds a private key of the fleet");
        }
      }
    }
    assertThrows(IllegalStateException.class, () -> IdentityHome.openOrInit(site), "a site is not a home");

    try (NatsServer hub = NatsServer.builder().identity(home.dir()).store(dir.resolve("hub"))
            .domain(Subjects.CLOUD_DOMAIN).leafListen(0).start();
        NatsServer leaf = NatsServer.builder().site(site).store(dir.resolve("leaf"))
            .domain(Subjects.gatewayDomain(GW)).leafOf("127.0.0.1:" + hub.leafPort(),
                site.resolve("creds/leaf-" + GW + ".creds")).provision(false).start()) {
      SiteHome s = SiteHome.open(site);
      NatsAuth gatewayAuth = NatsAuth.files(s.credsFile(Role.GATEWAY, GW), s.caFile());
      NatsAuth deviceAuth = NatsAuth.files(s.credsFile(Role.DEVICE, "d1"), s.caFile());
      try (Connection gw = Nats.connect(NatsOptions.component(leaf.url(), "gateway", gatewayAuth).build());
          Connection device = Nats.connect(NatsOptions.component(leaf.url(), "device", deviceAuth).build());
          Connection op = hub.connect()) {
        await().atMost(Duration.ofSeconds(20)).until(() -> linked(leaf));
        LeafSite.ensure(gw, GW);
        op.keyValue(Subjects.POLICY_BUCKET).put("probe", "v1".getBytes(StandardCharsets.UTF_8));
        await().atMost(Duration.ofSeconds(20)).until(() -> gw.keyValue(Subjects.POLICY_BUCKET).get("probe") != null);

        // a device revoked in the cloud is cut off at the site
        assertEquals(Connection.Status.CONNECTED, device.getStatus());
        home.revoke(Role.DEVICE, "d1", false);
        home.pushAccount(hub.url());
        await().atMost(Duration.ofSeconds(20)).until(() -> {
          try (Connection again = Nats.connect(NatsOptions.oneShot(leaf.url(), Duration.ofSeconds(2), deviceAuth)
              .build())) {
            return false;
          } catch (java.io.IOException | RuntimeException refused) {
            return true;
          }
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> device.getStatus() != Connection.Status.CONNECTED);
      }
      for (Path log : List.of(hub.log(), leaf.log())) {
        List<String> bad = Files.readAllLines(log).stream().filter(l -> l.contains(" Violation - ")).toList();
        assertEquals(List.of(), bad, "permission violations in " + log);
      }
    }
  }

  static boolean linked(NatsServer leaf) throws Exception {
    return Files.readAllLines(leaf.log()).stream().anyMatch(l -> l.contains("JetStream Not Extended"));
  }
}
