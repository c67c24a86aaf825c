package io.fogwise.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.IdentityHome;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security is the default and its absence is loud: {@code fogwise hub --insecure} warns, and a
 * component without credentials refuses to start, saying which file is missing and how to get it.
 */
class SecureByDefaultIT {
  @TempDir Path dir;
  private Process hub;

  @AfterEach
  void stop() {
    if (hub != null) {
      hub.destroyForcibly();
    }
  }

  @Test
  void anInsecureHubWarnsLoudlyAndAcceptsAnyone() throws Exception {
    int port = NatsServer.freePort();
    Path log = dir.resolve("hub.log");
    List<String> cmd = ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM)
        .command(List.of("hub", "--insecure", "--port", Integer.toString(port), "--store", dir.resolve("store").toString()));
    hub = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    await("'listening' in " + log).atMost(Duration.ofSeconds(30)).until(() -> {
      assertTrue(hub.isAlive(), "the hub exited:\n" + Files.readString(log));
      return Files.readString(log).contains("listening on");
    });
    String out = Files.readString(log);
    assertTrue(out.contains("WARNING: fogwise hub --insecure: NO AUTHENTICATION AND NO TLS. Anyone who reaches port "
        + port + " can publish heartbeats for any device, command devices, delete services and rewrite policy."), out);
    assertFalse(out.contains("identities and CA in"), out);
    // anonymous, plain text: exactly what the warning says
    try (Connection anyone = Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + port).noReconnect()
        .build())) {
      assertEquals(Connection.Status.CONNECTED, anyone.getStatus());
    }
  }

  @Test
  void aSecureHubRefusesAnonymousClients() throws Exception {
    int port = NatsServer.freePort();
    Path home = dir.resolve("home");
    Path log = dir.resolve("hub.log");
    List<String> cmd = ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM)
        .command(List.of("hub", "--home", home.toString(), "--port", Integer.toString(port), "--store",
            dir.resolve("store").toString()));
    hub = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    await("'listening' in " + log).atMost(Duration.ofSeconds(30)).until(() -> {
      assertTrue(hub.isAlive(), "the hub exited:\n" + Files.readString(log));
      return Files.readString(log).contains("listening on");
    });
    String out = Files.readString(log);
    assertTrue(out.contains("hub: identities and CA in " + home.toAbsolutePath()), out);
    assertFalse(out.contains("WARNING"), out);
    assertTrue(IdentityHome.exists(home), "the hub created its identity home");
    assertThrows(Exception.class, () -> Nats.connect(new Options.Builder().server("nats://127.0.0.1:" + port)
        .noReconnect().build()).close());
  }

  @Test
  void aGatewayWithoutCredentialsSaysWhichFileIsMissingAndHowToIssueIt() {
    Path home = IdentityHome.init(dir.resolve("home")).dir();
    CliRun r = CliRun.fogwise("gateway", "--id", "gw-new", "--nats", "nats://127.0.0.1:1", "--home", home.toString());
    assertEquals(2, r.exit(), r.toString());
    Path missing = home.resolve("creds").resolve("gateway-gw-new.creds");
    assertEquals("fogwise gateway: no credentials for gateway 'gw-new': " + missing + " does not exist; issue them"
        + " with 'fogwise identity issue gateway gw-new' (or give --creds FILE)", r.err().strip());
    assertEquals("", r.out());
  }

  @Test
  void aGatewayWithoutAnyIdentityHomeSaysTheSame() {
    Path home = dir.resolve("nowhere");
    CliRun r = CliRun.fogwise("gateway", "--id", "gw-1", "--nats", "nats://127.0.0.1:1", "--home", home.toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains(home.resolve("creds").resolve("gateway-gw-1.creds") + " does not exist"), r.toString());
    assertTrue(r.err().contains("'fogwise identity issue gateway gw-1'"), r.toString());
  }
}
