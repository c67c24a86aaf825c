package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise identity init|issue|list|revoke} as an operator runs them, in this JVM through
 * picocli, against a running secure hub that serves the same identity home.
 */
class IdentityCommandIT {
  private static final Pattern CREDS = Pattern.compile("^issued device (\\S+) of gateway (\\S+): (\\S+\\.creds)$",
      Pattern.MULTILINE);

  @TempDir Path dir;
  private Path home;
  private NatsServer hub;

  @BeforeEach
  void start() {
    home = dir.resolve("home");
    CliRun init = fogwise("identity", "init", "--home", home.toString());
    assertEquals(0, init.exit(), init.toString());
    assertTrue(init.out().contains("created identity home " + home), init.toString());
    assertTrue(Files.isRegularFile(home.resolve("ca.pem")), init.toString());
    hub = NatsServer.builder().identity(home).start();
  }

  @AfterEach
  void stop() {
    if (hub != null) {
      hub.close();
    }
  }

  private CliRun identity(String... args) {
    String[] all = new String[args.length + 5];
    all[0] = "identity";
    System.arraycopy(args, 0, all, 1, args.length);
    all[args.length + 1] = "--home";
    all[args.length + 2] = home.toString();
    all[args.length + 3] = "--nats";
    all[args.length + 4] = hub.url();
    return fogwise(all);
  }

  /** A connection with credentials as {@code fogwise edge --creds FILE --ca FILE} makes it. */
  private Connection connect(Path creds, List<String> errors) throws Exception {
    return Nats.connect(NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), NatsAuth.files(creds, home.resolve("ca.pem")))
        .errorListener(new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            errors.add(error);
          }

          @Override
          public void exceptionOccurred(Connection conn, Exception exp) { }
        })
        .connectionListener((c, t) -> { }).build());
  }

  @Test
  void initTwiceChangesNothing() {
    CliRun again = fogwise("identity", "init", "--home", home.toString());
    assertEquals(0, again.exit(), again.toString());
    assertEquals("identity home " + home + " already exists; nothing changed", again.out().strip());
  }

  @Test
  void anIssuedDeviceConnectsUntilItIsRevokedThenTheHubClosesItsConnection() throws Exception {
    CliRun issue = identity("issue", "device", "edge-7", "--gateway", "gw-1");
    assertEquals(0, issue.exit(), issue.toString());
    Matcher m = CREDS.matcher(issue.out());
    assertTrue(m.find(), issue.toString());
    Path creds = Path.of(m.group(3));
    assertEquals(home.resolve("creds").resolve("device-edge-7.creds"), creds);
    assertTrue(Files.isRegularFile(creds), creds.toString());
    assertTrue(issue.out().contains("run it with: --creds " + creds + " --ca " + home.resolve("ca.pem")), issue.toString());

    List<String> errors = new CopyOnWriteArrayList<>();
    try (Connection device = connect(creds, errors)) {
      assertEquals(Connection.Status.CONNECTED, device.getStatus());
      device.publish(Subjects.heartbeat("gw-1", "edge-7"), new byte[] {1});
      device.flush(Duration.ofSeconds(2));
      assertTrue(errors.isEmpty(), errors.toString());

      long t0 = System.nanoTime();
      CliRun revoke = identity("revoke", "device", "edge-7");
      assertEquals(0, revoke.exit(), revoke.toString());
      assertTrue(revoke.out().contains("revoked 1 key(s) of device edge-7"), revoke.toString());
      assertTrue(revoke.out().contains("hub " + hub.url() + ": "), "pushed to the running hub: " + revoke);
      await("the hub closes the revoked device's connection").atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(10)).until(() -> device.getStatus() != Connection.Status.CONNECTED);
      System.out.printf("identity revoke device edge-7: connection closed %d ms after the command started%n",
          (System.nanoTime() - t0) / 1_000_000);
    }
    assertThrows(Exception.class, () -> connect(creds, new CopyOnWriteArrayList<>()).close(),
        "revoked credentials are refused");

    CliRun list = identity("list");
    assertEquals(0, list.exit(), list.toString());
    List<String> lines = list.out().lines().toList();
    assertTrue(lines.get(0).matches("ROLE +ID +GATEWAY +ISSUED +REVOKED +KEY"), list.toString());
    String row = lines.stream().filter(l -> l.startsWith("device ") && l.contains(" edge-7 ")).findFirst()
        .orElseThrow(() -> new AssertionError("no row for edge-7:\n" + list));
    String[] cols = row.trim().split(" +");
    assertEquals("gw-1", cols[2], row);
    assertNotEquals("-", cols[4], "REVOKED has the time: " + row);
    assertTrue(cols[4].matches("\\d{4}-\\d\\d-\\d\\dT.*Z"), row);
    assertTrue(lines.stream().anyMatch(l -> l.matches("operator +admin +- +\\S+ +- +\\S+")), list.toString());
  }

  @Test
  void aDeviceWithoutItsGatewayIsRefusedWithExitTwo() {
    CliRun issue = identity("issue", "device", "edge-8");
    assertEquals(2, issue.exit(), issue.toString());
    assertEquals("fogwise identity issue: a device belongs to a gateway: add --gateway <id>", issue.err().strip());
    assertEquals("", issue.out());
    assertTrue(Files.notExists(home.resolve("creds").resolve("device-edge-8.creds")));
  }

  @Test
  void aGatewayIsIssuedWithItsInstanceKeyPushedToTheHub() throws Exception {
    CliRun issue = identity("issue", "gateway", "gw-2");
    assertEquals(0, issue.exit(), issue.toString());
    assertTrue(issue.out().contains("issued gateway gw-2: " + home.resolve("creds").resolve("gateway-gw-2.creds")),
        issue.toString());
    assertTrue(issue.out().contains("instance signing key: "), issue.toString());
    assertTrue(issue.out().contains("hub " + hub.url() + ": "), issue.toString());
    try (Connection gw = connect(home.resolve("creds").resolve("gateway-gw-2.creds"), new CopyOnWriteArrayList<>())) {
      assertEquals(Connection.Status.CONNECTED, gw.getStatus());
    }
  }
}
