package io.fogwise.gateway;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.auth.NatsAuth;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A gateway that cannot finish starting gives up after its configured start timeout and says so. */
class GatewayStartTimeoutTest {
  @Test
  void startGivesUpAfterTheConfiguredTimeout() throws Exception {
    // Accepts TCP connections (the kernel completes the handshake) but never speaks NATS.
    try (ServerSocket silent = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
      GatewayConfig config = GatewayConfig.builder("gw-slow", "nats://127.0.0.1:" + silent.getLocalPort())
          .auth(NatsAuth.insecure()).durable(false).startTimeout(Duration.ofSeconds(1)).build();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> Gateway.start(config));
      assertTrue(e.getMessage().contains("did not finish starting within 1 s"), e.getMessage());
    }
  }

  @Test
  void startTimeoutMustBePositive() {
    GatewayConfig.Builder b = GatewayConfig.builder("gw", "nats://127.0.0.1:1");
    assertThrows(IllegalArgumentException.class, () -> b.startTimeout(Duration.ZERO));
  }
}
