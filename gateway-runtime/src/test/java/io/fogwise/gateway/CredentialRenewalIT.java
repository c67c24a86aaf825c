package io.fogwise.gateway;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.edge.AgentConfig;
import io.fogwise.edge.EdgeAgent;
import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.Layer;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.Subjects;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Instance credentials that expire are renewed before they do: a publisher whose credentials
 * live 3 s keeps publishing, numbered without gaps, for three lifetimes, and the hub never
 * disconnects it for an expired credential. Measured by the operator's own subscription.
 */
class CredentialRenewalIT {
  private static final String GW = "gw-renew";
  private static final Duration TTL = Duration.ofSeconds(3);

  @Test
  void aPublisherOutlivesItsCredentials() throws Exception {
    try (NatsServer hub = NatsServer.start(); Connection operator = hub.connect()) {
      List<AppMessage> received = new CopyOnWriteArrayList<>();
      operator.createDispatcher(m -> {
        try {
          received.add(MessageCodec.decode(m.getData(), AppMessage.class));
        } catch (Exception e) {
          throw new AssertionError("unreadable application message", e);
        }
      })
          .subscribe(Subjects.data("renew", "readings"));
      operator.flush(Duration.ofSeconds(2));
      GatewayConfig config = GatewayConfig.builder(GW, hub.url()).durable(false)
          .auth(hub.auth(Role.GATEWAY, GW))
          .instanceSigner(InstanceSigner.load(hub.identity().instanceKeyFile(GW)), TTL).build();
      try (Gateway gateway = Gateway.start(config);
          EdgeAgent agent = EdgeAgent.start(AgentConfig.builder().natsUrl(hub.url()).auth(hub.deviceAuth(GW, "edge-1"))
              .deviceId("edge-1").gatewayId(GW).layer(Layer.EDGE).build())) {
        await().atMost(Duration.ofSeconds(20)).until(() -> gateway.query(e -> e.registry().size()) == 1);
        ServiceSpec pub = ServiceSpec.of("pub", "publisher", ServiceSpec.Placement.layer(Layer.EDGE),
            Map.of("app", "renew", "channel", "readings", "rateHz", "50"));
        Message reply = operator.request(Subjects.services(GW), MessageCodec.encode(ServiceRequest.apply(pub)),
            Duration.ofSeconds(5));
        assertTrue(MessageCodec.decode(reply.getData(), ServiceResponse.class).ok());
        await().atMost(Duration.ofSeconds(20)).until(() -> !received.isEmpty());
        long first = System.nanoTime();
        // three lifetimes of the first credential
        await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() - first > TTL.multipliedBy(3).toNanos()
            && received.size() > 20);
        int seen = received.size();
        await().atMost(Duration.ofSeconds(5)).until(() -> received.size() > seen + 10); // still flowing
      }
      List<AppMessage> epochOne = received.stream().filter(m -> m.epoch() == received.get(0).epoch()).toList();
      assertEquals(epochOne.size(), epochOne.get(epochOne.size() - 1).number() - epochOne.get(0).number() + 1,
          "numbered without gaps across the renewals");
      String log = Files.readString(hub.log());
      assertFalse(log.contains("Authentication Expired"), "the hub disconnected an expired credential");
    }
  }
}
