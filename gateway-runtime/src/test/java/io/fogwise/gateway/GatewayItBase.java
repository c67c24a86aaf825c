package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.fogwise.rules.model.DeviceState;
import io.nats.client.Connection;
import io.nats.client.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A real (secure) nats-server, a real in-process gateway, real edge agents, each with its own
 * identity, and an operator client that records what they say and sends service requests.
 */
abstract class GatewayItBase {
  static final String GW = "gw-it";
  static final Duration WAIT = Duration.ofSeconds(20);

  NatsServer hub;
  Gateway gateway;
  Connection client;
  final Map<String, EdgeAgent> agents = new HashMap<>();
  final List<AdaptationEvent> events = new CopyOnWriteArrayList<>();
  final List<AppMessage> data = new CopyOnWriteArrayList<>();
  /** Set by tests that attack on purpose: the hub's refusals are then the expected outcome. */
  boolean violationsExpected;

  @BeforeEach
  void setUp() throws Exception {
    hub = NatsServer.start();
    client = hub.connect();
    client.createDispatcher(m -> {
      try {
        events.add(MessageCodec.decode(m.getData(), AdaptationEvent.class));
      } catch (Exception e) {
        throw new AssertionError("gateway published an unreadable event", e);
      }
    }).subscribe(Subjects.events(GW));
    client.createDispatcher(m -> {
      try {
        data.add(MessageCodec.decode(m.getData(), AppMessage.class));
      } catch (Exception e) {
        throw new AssertionError("unreadable application message", e);
      }
    }).subscribe(Subjects.data("it", "readings"));
    client.flush(Duration.ofSeconds(2));
    gateway = Gateway.start(config().build());
  }

  /** The gateway's configuration; subclasses may add to it. */
  GatewayConfig.Builder config() {
    return SecureHub.gatewayConfig(hub, GW);
  }

  @AfterEach
  void tearDown() throws Exception {
    agents.values().forEach(EdgeAgent::close);
    if (gateway != null) {
      gateway.close();
    }
    if (client != null) {
      client.close();
    }
    try {
      if (!violationsExpected) {
        assertNoPermissionViolations(hub);
      }
    } finally {
      hub.close();
    }
  }

  /** Every identity kept within its permissions: the hub logged no publish or subscription violation. */
  static void assertNoPermissionViolations(NatsServer hub) throws java.io.IOException {
    List<String> violations = java.nio.file.Files.readAllLines(hub.log()).stream()
        .filter(l -> l.contains(" Violation - ")).toList();
    assertTrue(violations.isEmpty(), () -> "the hub refused what a component does:\n" + String.join("\n", violations));
  }

  void agent(String id, Layer layer, Map<String, String> labels) {
    agents.put(id, EdgeAgent.start(AgentConfig.builder().natsUrl(hub.url())
        .auth(hub.deviceAuth(GW, id)).deviceId(id).gatewayId(GW).layer(layer)
        .labels(labels).build()));
  }

  void awaitAlive(int n) {
    await().atMost(WAIT).until(() -> gateway.query(e -> e.registry().countsByState().get(DeviceState.ALIVE)) == n);
  }

  ServiceResponse request(byte[] body) throws Exception {
    Message reply = client.request(Subjects.services(GW), body, Duration.ofSeconds(5));
    assertTrue(reply != null, "the gateway answers service requests");
    return MessageCodec.decode(reply.getData(), ServiceResponse.class);
  }

  List<Placement> placementsOf(String service) {
    return gateway.query(e -> e.placements().stream().filter(p -> p.service().equals(service)).toList());
  }

}
