package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.testsupport.NatsServer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fogwise service ...} against a real nats-server and a real in-process gateway. */
class ServiceCommandIT {
  private static final String GW = "gw-cli";
  private static final Path EXAMPLES = Path.of("..", "docs", "examples");

  private static NatsServer hub;
  private static Gateway gateway;

  @BeforeAll
  static void start() throws Exception {
    hub = NatsServer.start();
    hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
    gateway = Gateway.start(GatewayConfig.builder(GW, hub.url()).auth(hub.auth(Role.GATEWAY, GW))
        .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(GW)), Duration.ZERO).build());
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  /** A service command aimed at the test's gateway. */
  private static CliRun service(String... args) {
    List<String> all = new ArrayList<>(List.of("service"));
    all.addAll(List.of(args));
    all.addAll(List.of("--gateway", GW, "--nats", hub.url(), "--home", home()));
    return fogwise(all.toArray(String[]::new));
  }

  /** The hub's identity home: the service commands connect as its operator. */
  private static String home() {
    return hub.identity().dir().toString();
  }

  private static List<String> listedNames() throws Exception {
    CliRun list = service("list", "--json");
    assertEquals(0, list.exit(), list.toString());
    JsonNode reply = MessageCodec.mapper().readTree(list.out());
    assertTrue(reply.get("ok").asBoolean(), list.toString());
    return StreamSupport.stream(reply.get("services").spliterator(), false).map(s -> s.get("name").asText()).sorted().toList();
  }

  @Test
  void applyListDeleteList() throws Exception {
    CliRun apply = service("apply", EXAMPLES.resolve("publisher.yaml").toString(), EXAMPLES.resolve("subscribers.yaml").toString());
    assertEquals(0, apply.exit(), apply.toString());
    assertEquals(List.of(
        "created publisher (publisher, 1 replica, EDGE {pub=true})",
        "created sub-cloud (subscriber, 1 replica, CLOUD)",
        "created sub-edge (subscriber, 1 replica, EDGE {sub=true})"), apply.out().lines().toList(), apply.toString());

    CliRun list = service("list");
    assertEquals(0, list.exit(), list.toString());
    List<String> rows = list.out().lines().toList();
    assertEquals(4, rows.size(), list.toString());
    assertTrue(rows.get(0).matches("NAME +KIND/IMAGE +VERSION +REPLICAS +PLACEMENT +CRITICAL +LATENCY"), list.toString());
    assertTrue(rows.get(1).matches("publisher +publisher +1 +1 +EDGE \\{pub=true} +no +-"), list.toString());
    assertTrue(rows.get(2).matches("sub-cloud +subscriber +1 +1 +CLOUD +no +-"), list.toString());
    assertTrue(rows.get(3).matches("sub-edge +subscriber +1 +1 +EDGE \\{sub=true} +no +-"), list.toString());

    CliRun delete = service("delete", "sub-edge");
    assertEquals(0, delete.exit(), delete.toString());
    assertEquals("deleted sub-edge", delete.out().strip());
    assertEquals(List.of("publisher", "sub-cloud"), listedNames());
    assertFalse(service("list").out().contains("sub-edge"));

    CliRun again = service("delete", "sub-edge");
    assertEquals(1, again.exit(), again.toString());
    assertEquals("fogwise service delete: gateway gw-cli refused: field 'name': no service named 'sub-edge'",
        again.err().strip());
  }

  @Test
  void anInvalidFileAppliesNothing(@TempDir Path dir) throws Exception {
    List<String> before = listedNames();
    Path good = dir.resolve("good.yaml");
    Files.writeString(good, "name: never-applied\nkind: subscriber\n");
    Path bad = dir.resolve("bad.yaml");
    Files.writeString(bad, "name: also-never\nkind: subscriber\n---\nname: x\nkind: publisher\nreplicas: -1\n");

    CliRun apply = service("apply", good.toString(), bad.toString());
    assertEquals(2, apply.exit(), apply.toString());
    assertEquals("", apply.out(), apply.toString());
    List<String> lines = apply.err().lines().toList();
    assertEquals(List.of(bad + ": document 2 (line 6): field 'replicas': must be within [0, 100], got -1",
        "fogwise service apply: 1 problem in the spec files; nothing was applied"), lines);
    assertEquals(before, listedNames());
  }

  @Test
  void anUnknownGatewayIdIsReportedAtOnce() {
    CliRun list = fogwise("service", "list", "--gateway", "gw-nobody", "--nats", hub.url(), "--home", home(),
        "--timeout", "1");
    assertEquals(3, list.exit(), list.toString());
    assertTrue(list.err().startsWith("fogwise service list: no answer from gateway gw-nobody on fw.gw.gw-nobody.svc within 1 s"),
        list.toString());
    assertTrue(list.err().contains("(is it running, and if it runs its site's NATS as a leaf node, is the site linked to the cloud? --nats " + hub.url()), list.toString());
    assertEquals(1, list.err().lines().count(), list.toString());
  }

  @Test
  void aGatewayThatNeverAnswersIsReportedAfterTheTimeout() throws Exception {
    try (io.nats.client.Connection silent = io.nats.client.Nats.connect(
        NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), hub.auth(Role.GATEWAY, "gw-silent")).build())) {
      silent.createDispatcher(msg -> { }).subscribe("fw.gw.gw-silent.svc");
      silent.flush(java.time.Duration.ofSeconds(5));
      CliRun list = fogwise("service", "list", "--gateway", "gw-silent", "--nats", hub.url(), "--home", home(),
          "--timeout", "0.5");
      assertEquals(3, list.exit(), list.toString());
      assertEquals("fogwise service list: no answer from gateway gw-silent on fw.gw.gw-silent.svc within 0.5 s"
          + " (is it running, and if it runs its site's NATS as a leaf node, is the site linked to the cloud? --nats " + hub.url() + ", --gateway gw-silent)", list.err().strip());
    }
  }

  @Test
  void unreachableNatsIsReported() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = "nats://127.0.0.1:" + port;
    CliRun list = fogwise("service", "list", "--gateway", GW, "--nats", url, "--home", home(), "--timeout", "1");
    assertEquals(3, list.exit(), list.toString());
    assertTrue(list.err().startsWith("fogwise service list: cannot reach NATS at " + url), list.toString());
    assertEquals(1, list.err().lines().count(), list.toString());
  }

  @Test
  void moveNeedsExactlyOneTargetAndAValidName() {
    CliRun neither = service("move", "publisher");
    assertEquals(2, neither.exit(), neither.toString());
    assertTrue(neither.err().contains("--to-layer") && neither.err().contains("--to-device"), neither.toString());
    CliRun both = service("move", "publisher", "--to-layer", "FOG", "--to-device", "fog-1");
    assertEquals(2, both.exit(), both.toString());
    assertTrue(both.err().contains("mutually exclusive"), both.toString());
    CliRun badName = service("move", "no.dots", "--to-layer", "FOG");
    assertEquals(2, badName.exit(), badName.toString());
    assertTrue(badName.err().contains("field 'name' must be 1-64 of"), badName.toString());
  }
}
