package io.fogwise.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.gateway.Gateway;
import io.fogwise.gateway.GatewayConfig;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testsupport.NatsServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fogwise events --follow} as an operator leaves it running: it keeps printing across a
 * gateway restart (whose events are numbered from 1 again: the follow used to drop every one of
 * them as already seen) and across a hub restart (it reconnects, says so on stderr and reads back
 * what it missed), prints each event once, and stops on SIGTERM. A real nats-server, gateway and
 * agent; the follow is its own process.
 */
class EventsFollowIT {
  private static final String GW = "gw-follow";

  @TempDir Path dir;
  private NatsServer hub;
  private Gateway gateway;
  private EdgeAgent agent;
  private Process follow;

  @AfterEach
  void stop() {
    if (follow != null) {
      follow.destroyForcibly();
    }
    if (agent != null) {
      agent.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (hub != null) {
      hub.close();
    }
  }

  private GatewayConfig gatewayConfig() {
    return GatewayConfig.builder(GW, hub.url()).auth(hub.auth(Role.GATEWAY, GW))
        .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(GW)), Duration.ZERO).build();
  }

  private CliRun cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--gateway", GW, "--nats", hub.url(), "--home", hub.identity().dir().toString()));
    return CliRun.fogwise(all.toArray(String[]::new));
  }

  /** The events the follow printed so far (one JSON object per line). */
  private List<JsonNode> printed(Path out) {
    try {
      List<JsonNode> events = new ArrayList<>();
      for (String line : Files.readAllLines(out)) {
        if (line.startsWith("{")) {
          events.add(MessageCodec.mapper().readTree(line));
        }
      }
      return events;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long count(List<JsonNode> events, String type, String service) {
    return events.stream().filter(e -> type.equals(e.path("type").asText())
        && (service == null || service.equals(e.path("service").asText()))).count();
  }

  @Test
  void followingSurvivesAGatewayAndAHubRestartAndPrintsEachEventOnce() throws Exception {
    hub = NatsServer.start();
    hub.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR, null);
    gateway = Gateway.start(gatewayConfig());
    agent = EdgeAgent.start(AgentConfig.builder().natsUrl(hub.url()).auth(hub.deviceAuth(GW, "edge-1"))
        .deviceId("edge-1").gatewayId(GW).layer(Layer.EDGE).labels(Map.of("sub", "true"))
        .heartbeatInterval(Duration.ofMillis(100)).build());

    Path out = dir.resolve("follow.out");
    Path err = dir.resolve("follow.err");
    List<String> cmd = ComponentLauncher.currentJvm(Fogwise.class.getName(), ComponentLauncher.SMALL_JVM)
        .command(List.of("events", "--follow", "-o", "json", "--gateway", GW, "--nats", hub.url(), "--home",
            hub.identity().dir().toString()));
    follow = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    await("edge-1 joined, in " + out).atMost(Duration.ofSeconds(30)).until(() -> {
      assertTrue(follow.isAlive(), "the follow exited:\n" + Files.readString(err));
      return count(printed(out), "DEVICE_JOINED", null) >= 1;
    });

    Path spec = Files.writeString(dir.resolve("sub.yaml"), """
        name: sub-follow
        kind: subscriber
        placement:
          layer: EDGE
        config:
          app: follow
          channel: readings
        """);
    CliRun apply = cli("service", "apply", spec.toString(), "--wait");
    assertEquals(0, apply.exit(), apply.toString());
    await("the apply, live").atMost(Duration.ofSeconds(30))
        .until(() -> count(printed(out), "SERVICE_APPLIED", "sub-follow") == 1);

    // a gateway restart: its events are numbered from 1 again, and still shown
    gateway.close();
    gateway = Gateway.start(gatewayConfig());
    await("the restarted gateway's 'resumed' event").atMost(Duration.ofSeconds(60))
        .until(() -> printed(out).stream().anyMatch(e -> "SERVICE_APPLIED".equals(e.path("type").asText())
            && e.path("reason").asText().startsWith("resumed")));

    // a hub restart (SIGKILL, same port and store): the follow reconnects and says so
    NatsServer dead = hub;
    ProcessHandle.of(dead.pid()).orElseThrow().destroyForcibly();
    dead.onExit().get(10, TimeUnit.SECONDS);
    hub = dead.restarted();
    dead.close();
    await("the follow reconnected, in " + err).atMost(Duration.ofSeconds(60)).until(() -> {
      String said = Files.readString(err);
      return said.contains("fogwise events: lost NATS at " + hub.url()) && said.contains("fogwise events: reconnected;");
    });
    await("the gateway is back on the hub").atMost(Duration.ofSeconds(60))
        .until(() -> cli("get", "services").exit() == 0);
    CliRun delete = cli("service", "delete", "sub-follow");
    assertEquals(0, delete.exit(), delete.toString());
    await("the delete, live after the reconnect").atMost(Duration.ofSeconds(30))
        .until(() -> count(printed(out), "SERVICE_DELETED", "sub-follow") == 1);

    // each event once: none printed twice (number, time, type, device, service)
    List<JsonNode> all = printed(out);
    Set<String> keys = new HashSet<>();
    for (JsonNode e : all) {
      String key = e.path("seq").asLong() + "/" + e.path("atMillis").asLong() + "/" + e.path("type").asText() + "/"
          + e.path("deviceId").asText() + "/" + e.path("service").asText();
      assertTrue(keys.add(key), "printed twice: " + e + "\nall:\n" + Files.readString(out));
    }

    follow.destroy(); // SIGTERM
    assertTrue(follow.waitFor(15, TimeUnit.SECONDS), "the follow did not stop on SIGTERM");
  }
}
