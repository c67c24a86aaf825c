package io.fogwise.cli;

import static io.fogwise.cli.CliRun.fogwise;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.testsupport.NatsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: what an operator sees and is told — {@code get}, {@code describe}, {@code status},
 * {@code --wait}, created / configured / unchanged, a kind no device runs, a service with nowhere
 * to run — against a real nats-server (secure), a real gateway and real agents.
 */
class OperatorReadsIT {
  private static final String GW = "gw-reads";
  private static final Path EXAMPLES = Path.of("..", "docs", "examples");

  private static NatsServer hub;
  private static Gateway gateway;
  private static final List<EdgeAgent> agents = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    hub = NatsServer.start();
    hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
    gateway = Gateway.start(GatewayConfig.builder(GW, hub.url()).auth(hub.auth(Role.GATEWAY, GW))
        .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(GW)), Duration.ZERO).build());
    agents.add(agent("cloud-1", Layer.CLOUD, Map.of()));
    agents.add(agent("edge-1", Layer.EDGE, Map.of("pub", "true", "sub", "true")));
    await().atMost(Duration.ofSeconds(20)).until(() -> get("devices").out().contains("edge-1"));
  }

  private static EdgeAgent agent(String id, Layer layer, Map<String, String> labels) {
    return EdgeAgent.start(AgentConfig.builder().natsUrl(hub.url()).auth(hub.deviceAuth(GW, id)).deviceId(id)
        .gatewayId(GW).layer(layer).labels(labels).heartbeatInterval(Duration.ofMillis(100)).build());
  }

  @AfterAll
  static void stop() {
    agents.forEach(EdgeAgent::close);
    if (gateway != null) {
      gateway.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  private static CliRun run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--gateway", GW, "--nats", hub.url(), "--home", hub.identity().dir().toString()));
    return fogwise(all.toArray(String[]::new));
  }

  private static CliRun get(String... args) {
    List<String> all = new ArrayList<>(List.of("get"));
    all.addAll(List.of(args));
    return run(all.toArray(String[]::new));
  }

  private static Path spec(Path dir, String name, String yaml) throws Exception {
    Path f = dir.resolve(name + ".yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void getDescribeAndStatusShowWhereServicesRunAndWhetherTheyAreReady() throws Exception {
    CliRun apply = run("service", "apply", EXAMPLES.resolve("subscribers.yaml").toString(), "--wait");
    assertEquals(0, apply.exit(), apply.toString());
    List<String> lines = apply.out().lines().toList();
    assertTrue(lines.get(0).matches("(created|unchanged) sub-cloud \\(subscriber, 1 replica, CLOUD\\)"), apply.toString());
    assertTrue(lines.contains("sub-cloud is running: 1/1 ready on cloud-1 (epoch 1)"), apply.toString());
    assertTrue(lines.stream().anyMatch(l -> l.matches("sub-edge is running: 1/1 ready on edge-1 \\(epoch \\d+\\)")),
        apply.toString());

    CliRun services = get("services");
    assertEquals(0, services.exit(), services.toString());
    List<String> rows = services.out().lines().toList();
    assertTrue(rows.get(0).matches("NAME +KIND +READY +PHASE +DEVICES +EPOCHS +REASON"), services.toString());
    assertTrue(rows.stream().anyMatch(r -> r.matches("sub-cloud +subscriber +1/1 +RUNNING +cloud-1 +1 +-")),
        services.toString());

    CliRun wide = get("services", "sub-cloud", "-o", "wide");
    assertTrue(wide.out().lines().findFirst().orElseThrow()
        .matches("NAME +KIND/IMAGE +VERSION +READY +PHASE +DEVICES +EPOCHS +PLACEMENT +FAILURES +REASON"), wide.toString());

    JsonNode json = MessageCodec.mapper().readTree(get("services", "sub-cloud", "-o", "json").out());
    assertEquals("RUNNING", json.get(0).get("phase").asText());
    assertEquals("cloud-1", json.get(0).get("placements").get(0).get("deviceId").asText());
    assertTrue(json.get(0).get("placements").get(0).get("ready").asBoolean());
    JsonNode yaml = new ObjectMapper(new YAMLFactory()).readTree(get("services", "sub-cloud", "-o", "yaml").out());
    assertEquals(json, yaml, "yaml says what json says");

    CliRun devices = get("devices", "-o", "wide");
    assertEquals(0, devices.exit(), devices.toString());
    assertTrue(devices.out().lines().anyMatch(l -> l.matches("edge-1 +EDGE +ALIVE +sub-edge#\\d+ +pub=true,sub=true +default"
        + " +publisher,subscriber .*")), devices.toString());

    CliRun describe = run("describe", "service", "sub-cloud");
    assertEquals(0, describe.exit(), describe.toString());
    String d = describe.out();
    assertTrue(d.contains("Name:       sub-cloud"), d);
    assertTrue(d.contains("Phase:      RUNNING"), "no colours when not on a terminal: " + d);
    assertTrue(d.contains("Replicas:   1 desired, 1 ready"), d);
    assertTrue(d.lines().anyMatch(l -> l.matches(" +cloud-1 +1 +RUNNING +yes +-")), d);
    assertTrue(d.lines().anyMatch(l -> l.matches(" +\\S+ +INSTANCE_STARTED +cloud-1 +1 +- +instance of sub-cloud epoch 1 running on cloud-1")), d);

    CliRun device = run("describe", "device", "edge-1");
    assertTrue(device.out().contains("Kinds:      publisher, subscriber"), device.toString());

    CliRun events = get("events", "sub-cloud");
    assertTrue(events.out().lines().anyMatch(l -> l.matches("\\S+ +SERVICE_APPLIED +sub-cloud +- +- +service sub-cloud created .*")),
        events.toString());

    CliRun status = run("status");
    assertEquals(0, status.exit(), status.toString());
    assertTrue(status.out().contains("Gateway:    " + GW), status.toString());
    assertTrue(status.out().lines().anyMatch(l -> l.matches("Devices: +2 ALIVE")), status.toString());
    assertTrue(status.out().lines().anyMatch(l -> l.matches("Services: +\\d+ \\(.*RUNNING.*\\)")), status.toString());

    CliRun unknown = run("describe", "service", "nosuch");
    assertEquals(1, unknown.exit(), unknown.toString());
    assertEquals("fogwise describe service: no service named 'nosuch'", unknown.err().strip());
  }

  @Test
  void applySaysCreatedConfiguredOrUnchanged(@TempDir Path dir) throws Exception {
    Path f = spec(dir, "weather", "name: weather\nkind: subscriber\nplacement:\n  layer: CLOUD\n");
    assertEquals("created weather (subscriber, 1 replica, CLOUD)", run("service", "apply", f.toString()).out().strip());
    assertEquals("unchanged weather (subscriber, 1 replica, CLOUD)", run("service", "apply", f.toString()).out().strip());
    Files.writeString(f, "name: weather\nkind: subscriber\nreplicas: 0\nplacement:\n  layer: CLOUD\n");
    assertEquals("configured weather (subscriber, 0 replicas, CLOUD)", run("service", "apply", f.toString()).out().strip());
    CliRun delete = run("service", "delete", "weather", "--wait");
    assertEquals(0, delete.exit(), delete.toString());
    assertEquals(List.of("deleted weather", "weather is gone: no device runs it"), delete.out().lines().toList());
  }

  @Test
  void aKindNoDeviceRunsIsRefusedWithTheKindsTheDevicesOffer(@TempDir Path dir) throws Exception {
    Path typo = spec(dir, "typo", "name: typo\nkind: pubisher\nplacement:\n  layer: EDGE\n");
    CliRun apply = run("service", "apply", typo.toString());
    assertEquals(1, apply.exit(), apply.toString());
    assertTrue(apply.err().contains("not applied typo (" + typo + " document 1): gateway gw-reads refused: field 'kind': no"
        + " device of gateway gw-reads runs kind 'pubisher'; its devices offer: publisher, subscriber"), apply.toString());
    assertFalse(get("services").out().contains("typo"), "nothing applied");
  }

  @Test
  void aServiceWithNowhereToRunIsUnplaceableInGetAndWaitFailsWithTheReason(@TempDir Path dir) throws Exception {
    Path f = spec(dir, "fog-only", "name: fog-only\nkind: subscriber\nplacement:\n  layer: FOG\n");
    CliRun apply = run("service", "apply", f.toString(), "--wait", "--wait-timeout", "20s");
    assertEquals(1, apply.exit(), apply.toString());
    assertEquals("fogwise service apply: fog-only is UNPLACEABLE: 0 of 1 running; no device in layer FOG (2 devices known);"
        + " start one there or change the placement", apply.err().strip());
    assertTrue(get("services", "fog-only").out().lines()
        .anyMatch(l -> l.matches("fog-only +subscriber +0/1 +UNPLACEABLE +- +- +0 of 1 running; no device in layer FOG .*")));
    assertEquals(0, run("service", "delete", "fog-only").exit());
  }

  @Test
  void moveToWhereItRunsSaysSoAndWaitEndsWhenMoved(@TempDir Path dir) throws Exception {
    Path f = spec(dir, "roamer", "name: roamer\nkind: subscriber\nplacement:\n  layer: CLOUD\n");
    assertEquals(0, run("service", "apply", f.toString(), "--wait").exit());
    CliRun same = run("service", "move", "roamer", "--to-layer", "CLOUD");
    assertEquals(0, same.exit(), same.toString());
    assertEquals("roamer already runs in layer CLOUD (on cloud-1); nothing to move", same.out().strip());
    CliRun move = run("service", "move", "roamer", "--to-layer", "EDGE", "--wait");
    assertEquals(0, move.exit(), move.toString());
    assertTrue(move.out().lines().anyMatch(l -> l.matches("roamer moved: 1/1 ready on edge-1 \\(epoch 2\\)")), move.toString());
    assertEquals(0, run("service", "delete", "roamer", "--wait").exit());
  }

  @Test
  void usageErrorsAreOneLineWithWhereHelpIs() {
    CliRun missing = fogwise("service", "apply");
    assertEquals(2, missing.exit(), missing.toString());
    assertEquals("fogwise service apply: Missing required parameter: 'FILE' (see 'fogwise service apply --help')",
        missing.err().strip());
    CliRun badTimeout = run("get", "services", "--timeout", "soon");
    assertEquals(2, badTimeout.exit());
    assertEquals(1, badTimeout.err().lines().count(), badTimeout.toString());
    assertTrue(badTimeout.err().contains("'soon' is not a duration like 10s, 500ms, 2m or 1h"), badTimeout.toString());
    assertEquals(0, run("get", "devices", "--timeout", "3").exit(), "a bare number is seconds, as before");
    assertEquals(0, run("get", "devices", "--timeout", "2500ms").exit());
    CliRun typo = fogwise("servce", "list");
    assertEquals(2, typo.exit());
    assertTrue(typo.err().startsWith("fogwise: Unmatched arguments from index 0: 'servce', 'list' (see 'fogwise --help')"),
        typo.toString());
    assertTrue(typo.err().contains("Did you mean: fogwise service"), typo.toString());
    CliRun level = fogwise("status", "--log-level", "loud");
    assertEquals(2, level.exit());
    assertTrue(level.err().contains("--log-level must be error, warn, info, debug or trace, got 'loud'"), level.toString());
  }

  @Test
  void theEdgeWithoutAnIdAndAMissingTrustKeySayWhatToDo() {
    CliRun edge = fogwise("edge", "--gateway", GW, "--nats", hub.url());
    assertEquals(2, edge.exit(), edge.toString());
    assertEquals("fogwise edge: which device is this? give --id ID (or set FW_DEVICE_ID), e.g. --id edge-1"
        + " (see 'fogwise edge --help')", edge.err().strip());
    CliRun gw = fogwise("gateway", "--id", "gw-never", "--nats", hub.url(), "--trust-key", "nosuch.pub");
    assertEquals(2, gw.exit(), gw.toString());
    assertTrue(gw.err().startsWith("fogwise gateway: --trust-key nosuch.pub: no such file or directory (give the .pub"
        + " file"), gw.toString());
  }

  @Test
  void versionNamesTheCommitAndCompletionCoversTheNewCommands() {
    CliRun version = fogwise("--version");
    assertEquals(0, version.exit());
    assertTrue(version.out().startsWith("fogwise 0.1.0-SNAPSHOT (commit "), version.toString());
    CliRun completion = fogwise("completion");
    assertEquals(0, completion.exit());
    assertTrue(completion.out().contains("complete -F _complete_fogwise"), completion.out().lines().limit(5).toList().toString());
    assertTrue(completion.out().contains("describe") && completion.out().contains("--wait"), "every command and option");
  }
}
