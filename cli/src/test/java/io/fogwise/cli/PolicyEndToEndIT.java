package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.testsupport.NatsServer;
import io.fogwise.policy.TrustedKeys;
import io.fogwise.testbed.link.LinkEmulator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole policy path with real parts: `fogwise rules keygen`, real gateways trusting the key,
 * `fogwise rules push` waiting for their acknowledgements; a gateway whose link is cut during
 * the push, and one started later, both converge to the newest version.
 */
class PolicyEndToEndIT {
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** A gateway's configuration with its identity on {@code hub}, connecting to {@code url}. */
  private static GatewayConfig.Builder gateway(NatsServer hub, String id, String url) throws Exception {
    return GatewayConfig.builder(id, url).auth(hub.auth(Role.GATEWAY, id))
        .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(id)), Duration.ZERO);
  }

  /** The hub's identity home, with the operator's credentials the rules commands use. */
  private static String home(NatsServer hub) {
    hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
    return hub.identity().dir().toString();
  }

  @Test
  void pushedPolicyReachesEveryGatewayAndLateOrCutOffOnesCatchUp(@TempDir Path dir) throws Exception {
    try (NatsServer hub = NatsServer.start()) {
      CliRun keygen = fogwise("rules", "keygen", "--out", dir.toString(), "--name", "ops");
      assertEquals(0, keygen.exit(), keygen.err());
      TrustedKeys trusted = TrustedKeys.load(List.of(dir.resolve("ops.pub")));
      try (LinkEmulator link = LinkEmulator.start("127.0.0.1", hub.port());
          Gateway a = Gateway.start(gateway(hub, "gw-a", hub.url()).trustedKeys(trusted).build());
          Gateway b = Gateway.start(gateway(hub, "gw-b", link.url()).trustedKeys(trusted).build())) {

        // the tutorial's push: a gateway-scope rule with its parameter, acknowledged by that gateway
        CliRun push = fogwise("rules", "push", "../docs/tutorial/battery.drl", "--scope", "gw.gw-a",
            "--param", "battery.minPct=15", "--key", dir.resolve("ops.key").toString(), "--nats", hub.url(), "--home", home(hub),
            "--timeout", "20s");
        assertEquals(0, push.exit(), push.out() + push.err());
        assertTrue(push.out().matches("(?s).*gw-a\\s+1\\s+APPLIED\\s+\\d+\\s+artifact\\s+-.*"), push.out());
        assertTrue(push.out().contains("compiled 1 effective rule set (global v0 + gw.gw-a v1)"), push.out());
        assertEquals("global v0 + gw.gw-a v1", a.query(e -> e.policyLabel()));
        boolean hasRule = a.query(e -> e.ruleSet().ruleNames().contains("Device low on battery is drained"));
        assertTrue(hasRule);

        // gw-b is cut off; a global push is acknowledged by the gateways still online
        link.cut();
        CliRun global = fogwise("rules", "push", "../rules/src/main/resources/packs", "--scope", "global",
            "--key", dir.resolve("ops.key").toString(), "--nats", hub.url(), "--home", home(hub), "--timeout", "20s");
        assertTrue(global.exit() == 0 || global.exit() == 3, "gw-b is offline or did not answer: " + global.out() + global.err());
        assertTrue(global.out().matches("(?s).*gw-a\\s+1\\s+APPLIED\\s+\\d+\\s+artifact.*"), global.out() + global.err());
        assertTrue(global.out().contains("compiled 2 effective rule sets (global v1, global v1 + gw.gw-a v1)"),
            global.out());
        assertEquals("global v1 + gw.gw-a v1", a.query(e -> e.policyLabel()));
        assertEquals("global v0", b.query(e -> e.policyLabel()), "gw-b has not heard of it yet");

        link.restore();
        await().atMost(WAIT).until(() -> "global v1".equals(b.query(e -> e.policyLabel())));

        // a gateway started later starts with the newest version
        try (Gateway c = Gateway.start(gateway(hub, "gw-c", hub.url()).trustedKeys(trusted).build())) {
          assertEquals("global v1", c.query(e -> e.policyLabel()));
        }

        CliRun history = fogwise("rules", "history", "--scope", "global", "--nats", hub.url(), "--home", home(hub));
        assertEquals(0, history.exit(), history.err());
        assertTrue(history.out().contains("1"), history.out());
      }
    }
  }
}
