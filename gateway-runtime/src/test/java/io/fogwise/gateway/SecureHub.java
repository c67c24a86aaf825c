package io.fogwise.gateway;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.time.Duration;

/** What the gateway tests need to take part on a secure hub, each party with its own identity. */
public final class SecureHub {
  private SecureHub() {}

  /** Gateway {@code gw}'s configuration: its own credentials, and its instance key to sign STARTs. */
  public static GatewayConfig.Builder gatewayConfig(NatsServer hub, String gw) {
    NatsAuth auth = hub.auth(Role.GATEWAY, gw); // issues the gateway's user and scoped instance key
    return GatewayConfig.builder(gw, hub.url()).auth(auth)
        .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(gw)), Duration.ZERO);
  }

  /** A connection with {@code auth} (an identity the test plays); fails with the hub's last complaint. */
  public static Connection connect(NatsServer hub, NatsAuth auth) throws Exception {
    try {
      return Nats.connect(NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), auth).build());
    } catch (Exception e) {
      throw new AssertionError("cannot connect as " + auth + "; hub: " + hub.lastProblem().orElse("-"), e);
    }
  }
}
