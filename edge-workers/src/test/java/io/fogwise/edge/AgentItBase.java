package io.fogwise.edge;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.SubscriberStats.PublisherStats;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/**
 * A real (secure) nats-server per test class, an operator client that records what agents
 * publish, and the agents a test starts (closed after each test). Commands go out as their
 * gateway would send them: on a connection with the gateway's identity, a START carrying
 * instance credentials signed by the gateway's instance key.
 */
abstract class AgentItBase {
  static final Duration WAIT = Duration.ofSeconds(15);

  static NatsServer server;
  static Connection test;
  /** The gateways the agents of this class belong to: a test announces epochs for them, as a gateway would. */
  static final java.util.Set<String> gateways = java.util.concurrent.ConcurrentHashMap.newKeySet();
  /** The gateway of each device an agent was started for. */
  static final Map<String, String> gatewayOf = new java.util.concurrent.ConcurrentHashMap<>();
  /** Per gateway: a connection with its identity, and its instance signer. */
  static final Map<String, Connection> gatewayConnections = new java.util.concurrent.ConcurrentHashMap<>();
  static final Map<String, InstanceSigner> signers = new java.util.concurrent.ConcurrentHashMap<>();

  private final List<EdgeAgent> agents = new ArrayList<>();
  private final List<Dispatcher> dispatchers = new ArrayList<>();

  /** A message with the time (System.nanoTime) it was received. */
  record Received<T>(long nanos, T msg) {}

  @BeforeAll
  static void startHub() throws Exception {
    server = NatsServer.start();
    test = server.connect();
    // the hub created the epoch bucket at start (gateways may not create streams); the test plays the gateway
    Awaitility.setDefaultPollInterval(Duration.ofMillis(10));
  }

  @AfterAll
  static void stopHub() throws InterruptedException {
    for (Connection c : gatewayConnections.values()) {
      c.close();
    }
    gatewayConnections.clear();
    signers.clear();
    gatewayOf.clear();
    gateways.clear();
    if (test != null) {
      test.close();
    }
    if (server != null) {
      try {
        // every agent and instance kept within its permissions
        List<String> violations = java.nio.file.Files.readAllLines(server.log()).stream()
            .filter(l -> l.contains(" Violation - ")).toList();
        assertTrue(violations.isEmpty(), () -> "the hub refused what an agent or instance does:\n"
            + String.join("\n", violations));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      } finally {
        server.close();
      }
    }
  }

  @AfterEach
  void closeAgents() {
    agents.forEach(EdgeAgent::close);
    dispatchers.forEach(test::closeDispatcher);
  }

  /** Starts an agent on this class's server; it is closed after the test. */
  EdgeAgent agent(AgentConfig.Builder b) {
    // built once with a placeholder to learn the ids, then with the device's own credentials
    AgentConfig ids = b.natsUrl(server.url()).auth(NatsAuth.insecure()).build();
    AgentConfig config = b.auth(server.deviceAuth(ids.gatewayId(), ids.deviceId())).build();
    gateways.add(config.gatewayId());
    gatewayOf.put(config.deviceId(), config.gatewayId());
    EdgeAgent agent = EdgeAgent.start(config);
    agents.add(agent);
    return agent;
  }

  /** Records every message of {@code type} on {@code subject}, from now on. */
  <T> List<Received<T>> listen(String subject, Class<T> type) {
    List<Received<T>> list = new CopyOnWriteArrayList<>();
    Dispatcher d = test.createDispatcher(m -> {
      long now = System.nanoTime();
      try {
        list.add(new Received<>(now, MessageCodec.decode(m.getData(), type)));
      } catch (RejectedMessageException e) {
        throw new AssertionError("invalid " + type.getSimpleName() + " on " + subject + ": " + e.getMessage());
      }
    });
    d.subscribe(subject);
    dispatchers.add(d);
    try {
      test.flush(Duration.ofSeconds(5));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return list;
  }

  /** The latest recorded message satisfying {@code condition}, waiting for one. */
  static <T> Received<T> awaitMessage(List<Received<T>> list, Predicate<T> condition) {
    return await()
        .atMost(WAIT)
        .until(() -> list.stream().filter(r -> condition.test(r.msg())).reduce((x, y) -> y), Optional::isPresent)
        .orElseThrow();
  }

  static PublisherStats awaitPublisher(
      List<Received<SubscriberStats>> stats, String service, Predicate<PublisherStats> condition) {
    Predicate<SubscriberStats> match =
        s -> s.publishers().stream().anyMatch(p -> p.service().equals(service) && condition.test(p));
    return awaitMessage(stats, match).msg().publishers().stream()
        .filter(p -> p.service().equals(service) && condition.test(p))
        .findFirst()
        .orElseThrow();
  }

  static Map<String, String> with(Map<String, String> m, String key, String value) {
    Map<String, String> copy = new HashMap<>(m);
    copy.put(key, value);
    return copy;
  }

  /**
   * Sends {@code c} to {@code device}; a START first announces its epoch in
   * {@value Subjects#EPOCH_BUCKET} for every gateway of this class, as the gateway does before
   * it sends one (subscribers accept only announced epochs).
   */
  static CommandReply command(String device, Command command) {
    Command c = command;
    if (c.action() == Command.Action.START) {
      gateways.forEach(gw -> announce(gw, command.service(), command.epoch()));
      InstanceSigner signer = signers.computeIfAbsent(gatewayOf(device), gw -> {
        server.auth(Role.GATEWAY, gw); // creates the gateway's scoped instance key
        return InstanceSigner.load(server.identity().instanceKeyFile(gw));
      });
      // as the gateway's InstanceCredentials: no app in the config means the default one
      String app = c.config().get("app");
      app = app == null || app.isBlank() ? Subjects.DEFAULT_APP : app.trim();
      c = c.withCredentials(signer.issue(c.service(), app, c.epoch(), Duration.ZERO).format());
    }
    return request(device, MessageCodec.encode(c));
  }

  static String gatewayOf(String device) {
    String gw = gatewayOf.get(device);
    if (gw == null) {
      throw new AssertionError("no agent was started for device " + device);
    }
    return gw;
  }

  /** A connection with {@code gw}'s own identity, as that gateway would use. */
  static Connection gateway(String gw) {
    return gatewayConnections.computeIfAbsent(gw, g -> {
      try {
        return Nats.connect(NatsOptions.oneShot(server.url(), Duration.ofSeconds(5), server.auth(Role.GATEWAY, g))
            .build());
      } catch (Exception e) {
        throw new AssertionError("cannot connect as gateway " + g + "; hub: " + server.lastProblem().orElse("-"), e);
      }
    });
  }

  /** Announces that {@code gw} issued epochs up to {@code epoch} for {@code service} (never lowers it). */
  static void announce(String gw, String service, long epoch) {
    try {
      io.nats.client.KeyValue kv = gateway(gw).keyValue(Subjects.EPOCH_BUCKET);
      io.nats.client.api.KeyValueEntry e = kv.get(Subjects.epochKey(gw, service));
      long known = e == null || e.getValue() == null ? -1 : Long.parseLong(e.getValueAsString());
      if (epoch > known) {
        kv.put(Subjects.epochKey(gw, service), Long.toString(epoch));
      }
    } catch (Exception e) {
      throw new AssertionError("cannot announce epoch " + epoch + " of " + service, e);
    }
  }

  static CommandReply request(String device, String raw) {
    return request(device, raw.getBytes(StandardCharsets.UTF_8));
  }

  static CommandReply request(String device, byte[] data) {
    try {
      String gw = gatewayOf(device);
      Message reply = gateway(gw).request(Subjects.command(gw, device), data, Duration.ofSeconds(10));
      assertNotNull(reply, "no reply from " + device);
      return MessageCodec.decode(reply.getData(), CommandReply.class);
    } catch (InterruptedException | RejectedMessageException e) {
      throw new AssertionError(e);
    }
  }

  static void assertOk(CommandReply r) {
    assertTrue(r.ok(), () -> "expected ok, got " + r);
  }

  static void assertError(CommandReply r, String fragment) {
    assertFalse(r.ok(), () -> "expected an error, got " + r);
    assertTrue(r.error().contains(fragment), () -> "error '" + r.error() + "' should contain '" + fragment + "'");
  }
}
