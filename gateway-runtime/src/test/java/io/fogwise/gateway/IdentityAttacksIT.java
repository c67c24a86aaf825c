package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.Heartbeat;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The attacks of the identity issue, replayed against a secure hub with a real gateway and real
 * agents: each now fails for the attacker at the hub, which says why, and the fleet carries on.
 * The insider is a device with valid credentials of its own (edge-2).
 */
class IdentityAttacksIT extends GatewayItBase {
  private static final ServiceSpec PUBLISHER = ServiceSpec.of("publisher", "publisher",
      new ServiceSpec.Placement(Layer.EDGE, Map.of("pub", "true")),
      Map.of("app", "it", "channel", "readings", "rateHz", "50"));

  /** A connection as {@code auth} that records what the hub reports to it. */
  private Connection as(NatsAuth auth, List<String> errors) throws Exception {
    Options o = NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), auth)
        .errorListener(new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            errors.add(error);
          }
        }).build();
    return Nats.connect(o);
  }

  @org.junit.jupiter.api.BeforeEach
  void attacksAreExpected() {
    violationsExpected = true;
  }

  private void startFleet() throws Exception {
    agent("edge-1", Layer.EDGE, Map.of("pub", "true"));
    agent("edge-2", Layer.EDGE, Map.of());
    awaitAlive(2);
    assertTrue(request(MessageCodec.encode(ServiceRequest.apply(PUBLISHER))).ok());
    await().atMost(WAIT).until(() -> placementsOf("publisher").stream().anyMatch(p -> p.deviceId().equals("edge-1")
        && p.state() == io.fogwise.gateway.core.reconcile.Placement.State.RUNNING));
  }

  @Test
  void anAnonymousClientCannotConnectAtAll() {
    assertThrows(Exception.class, () -> Nats.connect(new Options.Builder().server(hub.url()).noReconnect().build()));
  }

  @Test
  void anInsiderDeviceCannotDeleteServicesWriteGatewayStateOrCommandDevices() throws Exception {
    startFleet();
    List<String> errors = new CopyOnWriteArrayList<>();
    try (Connection insider = as(hub.deviceAuth(GW, "edge-2"), errors)) {
      insider.publish(Subjects.services(GW), MessageCodec.encode(ServiceRequest.delete("publisher")));
      insider.publish("$KV." + Subjects.desiredBucket(GW) + ".state", "{\"services\":{}}".getBytes());
      insider.publish(Subjects.command(GW, "edge-1"),
          MessageCodec.encode(Command.stop("evil-1", "publisher", 1)));
      insider.flush(Duration.ofSeconds(2));
      await().atMost(WAIT).until(() -> errors.size() >= 3);
    }
    assertTrue(errors.contains("Permissions Violation for Publish to \"" + Subjects.services(GW) + "\""), errors.toString());
    assertTrue(errors.contains("Permissions Violation for Publish to \"$KV." + Subjects.desiredBucket(GW) + ".state\""),
        errors.toString());
    assertTrue(errors.contains("Permissions Violation for Publish to \"" + Subjects.command(GW, "edge-1") + "\""),
        errors.toString());
    // the service is still declared and still runs where it ran
    assertTrue(request(MessageCodec.encode(ServiceRequest.get("publisher"))).ok());
    assertTrue(placementsOf("publisher").stream().anyMatch(p -> p.deviceId().equals("edge-1")), placementsOf("publisher").toString());
  }

  @Test
  void heartbeatsForAKilledDeviceAreRefusedSoItIsDeclaredLost() throws Exception {
    startFleet();
    List<String> errors = new CopyOnWriteArrayList<>();
    try (Connection insider = as(hub.deviceAuth(GW, "edge-2"), errors)) {
      agents.remove("edge-1").close(); // the victim dies
      Heartbeat forged = new Heartbeat("edge-1", GW, 1, System.currentTimeMillis(), 200, Layer.EDGE, null,
          Map.of("pub", "true"), List.of());
      long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      // keep forging until the gateway has declared the victim lost (it must, within the detector's time)
      await().atMost(WAIT).until(() -> {
        if (System.nanoTime() < until) {
          insider.publish(Subjects.heartbeat(GW, "edge-1"), MessageCodec.encode(forged));
        }
        return events.stream().anyMatch(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST && "edge-1".equals(e.deviceId()));
      });
      insider.flush(Duration.ofSeconds(2));
    }
    assertTrue(errors.stream().anyMatch(e -> e.equals("Permissions Violation for Publish to \""
        + Subjects.heartbeat(GW, "edge-1") + "\"")), errors.toString());
    assertFalse(errors.isEmpty());
    assertEquals(1, events.stream().filter(e -> e.type() == AdaptationEvent.Type.DEVICE_LOST
        && "edge-1".equals(e.deviceId())).count());
  }

  /**
   * A hostile gateway (valid credentials of its own) writes a STOP for this gateway's publisher
   * into its own bucket and has the hub's JetStream answer a read of it into edge-1's command
   * subject. nats-server does not check that reply subject; the agent refuses what JetStream
   * relayed, so the publisher keeps running in the same epoch.
   */
  @Test
  void aHostileGatewaysJetStreamRelayIsRefusedByTheDevice() throws Exception {
    startFleet();
    long epoch = placementsOf("publisher").get(0).epoch();
    List<String> errors = new CopyOnWriteArrayList<>();
    try (Connection evil = as(hub.auth(io.fogwise.identity.Role.GATEWAY, "gw-evil"), errors)) {
      String bucket = Subjects.desiredBucket("gw-evil");
      evil.keyValue(bucket).put("forged", MessageCodec.encode(Command.stop("evil-2", "publisher", epoch)));
      evil.publish("$JS.API.DIRECT.GET.KV_" + bucket + ".$KV." + bucket + ".forged", Subjects.command(GW, "edge-1"),
          new byte[0]);
      evil.flush(Duration.ofSeconds(2));
    }
    assertTrue(errors.isEmpty(), "the relay itself is within the hostile gateway's permissions: " + errors);
    int seen = data.size();
    await().atMost(WAIT).until(() -> data.size() > seen + 25);
    assertTrue(data.subList(seen, data.size()).stream().allMatch(m -> m.epoch() == epoch), "the publisher was stopped");
    assertTrue(placementsOf("publisher").stream().anyMatch(p -> p.deviceId().equals("edge-1") && p.epoch() == epoch));
  }
}
