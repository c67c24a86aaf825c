package io.fogwise.testsupport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.identity.InstanceSigner;
import io.fogwise.identity.Role;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.DurableStreams;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamOptions;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.PublishOptions;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StreamConfiguration;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What a hosted instance's credential may do with its application's durable-channel stream on a
 * real secure hub: the template's {@code {{tag(stream)}}} and {@code {{name()}}} are filled as
 * expected, and nothing reaches another application's stream, another service's consumer or its
 * deliveries, stream or consumer administration, or a pull request (whose reply subject would
 * make the hub deliver anywhere).
 */
class DurableChannelPermissionsIT {
  private static final String GW = "gw-dur";
  private static NatsServer hub;
  private static InstanceSigner signer;

  @BeforeAll
  static void start() throws Exception {
    hub = NatsServer.start();
    hub.auth(Role.GATEWAY, GW);
    signer = InstanceSigner.load(hub.identity().instanceKeyFile(GW));
    try (Connection operator = hub.connect()) {
      // as the gateway does before it starts a durable publisher or subscriber
      for (String app : List.of("plant", "other")) {
        DurableStreams.ensure(channel(app), operator.jetStreamManagement());
      }
    }
  }

  static DurableChannel channel(String app) {
    return DurableChannel.fromConfig(Map.of("durable", "true", "app", app)).orElseThrow();
  }

  @AfterAll
  static void stop() {
    hub.close();
  }

  record Client(Connection conn, List<String> errors) implements AutoCloseable {
    @Override
    public void close() throws InterruptedException {
      conn.close();
    }

    void awaitError(String fragment) {
      await().atMost(Duration.ofSeconds(30)).until(() -> errors.stream().anyMatch(e -> e.contains(fragment)));
    }
  }

  static Client instance(String service, String app) throws Exception {
    NatsAuth auth = NatsAuth.of(signer.issue(service, app, 1, Duration.ofMinutes(5)), hub.identity().caFile());
    List<String> errors = new CopyOnWriteArrayList<>();
    return new Client(Nats.connect(NatsOptions.oneShot(hub.url(), Duration.ofSeconds(5), auth)
        .errorListener(new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            errors.add(error);
          }
        }).build()), errors);
  }

  @Test
  void aPublisherAndASubscriberUseTheirApplicationsStreamAndTheirOwnConsumersDeliveries() throws Exception {
    try (Client pub = instance("plant-pub", "plant"); Client sub = instance("plant-sub", "plant")) {
      JetStream js = pub.conn().jetStream();
      PublishAck ack = js.publish("fw.data.plant.readings", new byte[] {1},
          PublishOptions.builder().messageId("plant-pub/1/0").expectedStream("fwd_plant").build());
      assertEquals("fwd_plant", ack.getStream());
      PublishAck again = js.publish("fw.data.plant.readings", new byte[] {1},
          PublishOptions.builder().messageId("plant-pub/1/0").build());
      assertTrue(again.isDuplicate(), "the same message id is stored once");

      try (Connection operator = hub.connect()) {
        // as the gateway does before it starts a durable subscriber
        DurableStreams.ensureSubscriber(channel("plant"), operator.jetStreamManagement(), "plant-sub", "readings");
      }
      List<Message> got = new CopyOnWriteArrayList<>();
      Dispatcher d = sub.conn().createDispatcher();
      sub.conn().jetStream().subscribe("fw.data.plant.readings", "plant-sub", d, got::add, false,
          PushSubscribeOptions.bind("fwd_plant", "plant-sub"));
      await().atMost(Duration.ofSeconds(30)).until(() -> got.size() == 1);
      assertEquals(1, got.get(0).metaData().streamSequence());
      got.get(0).ackSync(Duration.ofSeconds(2));
      try (Connection operator = hub.connect()) {
        assertEquals(1, operator.jetStreamManagement().getConsumerInfo("fwd_plant", "plant-sub")
            .getAckFloor().getStreamSequence());
      }
      assertTrue(pub.errors().isEmpty(), pub.errors().toString());
      assertTrue(sub.errors().isEmpty(), sub.errors().toString());
    }
  }

  @Test
  void anInstanceCannotAdministerStreamsOrConsumersPullOrUseAnotherServicesConsumer() throws Exception {
    try (Client c = instance("plant-x", "plant")) {
      // refused requests wait for their timeout
      var jsm = c.conn().jetStreamManagement(JetStreamOptions.builder().requestTimeout(Duration.ofMillis(500)).build());
      assertThrows(Exception.class, () -> jsm.addStream(StreamConfiguration.builder().name("fwd_plant2")
          .subjects("fw.hb.>").build()));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.CREATE.fwd_plant2\"");
      assertThrows(Exception.class, () -> jsm.updateStream(
          DurableStreams.streamConfiguration(new DurableChannel("plant", Duration.ofHours(1), 1L << 20))));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.UPDATE.fwd_plant\"");
      assertThrows(Exception.class, () -> jsm.deleteStream("fwd_plant"));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.DELETE.fwd_plant\"");
      assertThrows(Exception.class, () -> jsm.purgeStream("fwd_plant"));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.PURGE.fwd_plant\"");
      assertThrows(Exception.class, () -> jsm.getStreamInfo("fwd_other"));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.INFO.fwd_other\"");
      // a consumer's creator, or a pull request's sender, chooses where the hub delivers: any subject
      assertThrows(Exception.class, () -> jsm.addOrUpdateConsumer("fwd_plant",
          ConsumerConfiguration.builder().durable("plant-x").deliverSubject("fw.hb.gw-dur.edge-1").build()));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.CONSUMER.CREATE.fwd_plant.plant-x");
      c.conn().publish("$JS.API.CONSUMER.MSG.NEXT.fwd_plant.plant-x", "fw.hb.gw-dur.edge-1", "{\"batch\":1}".getBytes(
          StandardCharsets.US_ASCII));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.CONSUMER.MSG.NEXT.fwd_plant.plant-x\"");
      assertThrows(Exception.class, () -> jsm.getConsumerInfo("fwd_plant", "plant-sub"));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.CONSUMER.INFO.fwd_plant.plant-sub\"");
      c.conn().subscribe(DurableChannel.deliverSubject("plant-sub"));
      c.conn().flush(Duration.ofSeconds(2));
      c.awaitError("Permissions Violation for Subscription to \"fw.dlv.plant-sub\"");
      assertThrows(Exception.class, () -> jsm.deleteConsumer("fwd_plant", "plant-x"));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.CONSUMER.DELETE.fwd_plant.plant-x\"");
      assertThrows(Exception.class, () -> jsm.getMessage("fwd_plant", 1));
      c.awaitError("Permissions Violation for Publish to \"$JS.API.STREAM.MSG.GET.fwd_plant\"");
    }
  }

  @Test
  void ensureCreatesTheStreamOnceAndUpdatesItsLimitsInPlace() throws Exception {
    try (Connection operator = hub.connect()) {
      var jsm = operator.jetStreamManagement();
      DurableChannel day = channel("limits");
      var created = DurableStreams.ensure(day, jsm);
      assertEquals(created.getCreateTime(), DurableStreams.ensure(day, jsm).getCreateTime(), "unchanged: not re-created");
      operator.jetStream().publish("fw.data.limits.x", new byte[] {1});
      DurableChannel hour = new DurableChannel("limits", Duration.ofHours(1), 8L << 20);
      var updated = DurableStreams.ensure(hour, jsm);
      assertEquals(Duration.ofHours(1), updated.getConfiguration().getMaxAge());
      assertEquals(8L << 20, updated.getConfiguration().getMaxBytes());
      assertEquals(1, updated.getStreamState().getMsgCount(), "an update keeps the messages");
      assertEquals(created.getCreateTime(), updated.getCreateTime());
    }
  }
}
