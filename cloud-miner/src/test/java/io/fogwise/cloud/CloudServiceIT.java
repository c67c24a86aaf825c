package io.fogwise.cloud;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.cloud.data.DataResponder;
import io.fogwise.cloud.data.DataStore;
import io.fogwise.identity.Role;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link CloudService} answering data requests over a real nats-server. */
class CloudServiceIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private NatsServer server;
  private Connection client;
  private CloudService cloud;

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    cloud = CloudService.start(CloudConfig.builder(server.url()).auth(server.auth(Role.CLOUD, "cloud")).build());
    // an operator: writes items as the CLI does and asks as a gateway would
    client = Nats.connect(server.operatorAuth().applyTo(new Options.Builder()).server(server.url()).errorListener(new ErrorListener() { })
        .connectionListener((c, t) -> { }).build());
  }

  @AfterEach
  void stop() throws Exception {
    if (cloud != null) {
      cloud.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private DataReply ask(byte[] request) throws Exception {
    Message m = client.request(Subjects.CLOUD_DATA_GET, request, TIMEOUT);
    assertTrue(m != null, "an answer");
    return MessageCodec.decode(m.getData(), DataReply.class);
  }

  @Test
  void anItemIsAnsweredFromTheStoreAndAnUnknownKeyClearlyNotFound() throws Exception {
    DataStore.jetStream(client).put("ref/stations", "application/json", "[1,2]".getBytes(StandardCharsets.UTF_8));

    DataReply found = ask(MessageCodec.encode(new DataRequest("ref/stations")));
    assertNull(found.error());
    assertEquals(1, found.item().version());
    assertEquals("application/json", found.item().contentType());
    assertArrayEquals("[1,2]".getBytes(StandardCharsets.UTF_8), found.item().value());
    assertFalse(found.stale());
    assertEquals(0, found.ageMs());

    DataReply missing = ask(MessageCodec.encode(new DataRequest("ref/nothing")));
    assertTrue(missing.isNotFound(), missing.toString());
    assertEquals("ref/nothing", missing.key());
    assertEquals("not found: no item with key 'ref/nothing'", missing.error());
    assertEquals(new DataResponder.Stats(1, 1, 0), cloud.dataStats());
  }

  @Test
  void aMalformedRequestIsCountedAndAnsweredWithAnError() throws Exception {
    DataReply notJson = ask("hello".getBytes(StandardCharsets.UTF_8));
    assertFalse(notJson.isNotFound());
    assertTrue(notJson.error().startsWith("malformed request (malformed): DataRequest is not a JSON object"),
        notJson.error());
    DataReply badKey = ask("{\"key\":\"a..b\"}".getBytes(StandardCharsets.UTF_8));
    assertTrue(badKey.error().contains("field 'key' must be 1-128 characters"), badKey.error());
    DataReply unknownField = ask("{\"key\":\"k\",\"please\":true}".getBytes(StandardCharsets.UTF_8));
    assertTrue(unknownField.error().contains("unknown field 'please'"), unknownField.error());

    assertEquals(1, cloud.rejections().count(DataResponder.KIND, RejectReason.MALFORMED));
    assertEquals(1, cloud.rejections().count(DataResponder.KIND, RejectReason.INVALID_FIELD));
    assertEquals(1, cloud.rejections().count(DataResponder.KIND, RejectReason.UNKNOWN_FIELD));
    assertEquals(3, cloud.dataStats().errors());
    // and it still answers well-formed requests
    assertTrue(ask(MessageCodec.encode(new DataRequest("k"))).isNotFound());
  }

  @Test
  void anItemTooLargeForOneMessageIsAnsweredWithAnErrorSayingSo() throws Exception {
    byte[] big = new byte[2 * 1024 * 1024];
    new Random(1).nextBytes(big);
    DataStore.jetStream(client).put("models/big", "application/octet-stream", big);
    DataReply r = ask(MessageCodec.encode(new DataRequest("models/big")));
    assertEquals("item 'models/big' is 2097152 bytes: more than one NATS message may carry on this hub (max_payload"
        + " 1048576 bytes); raise the hub's max_payload or keep items under 512 KiB", r.error());
    assertFalse(r.isNotFound());
  }

  @Test
  void theServiceRunsTheMinerWithItsOwnCredentials(@org.junit.jupiter.api.io.TempDir java.nio.file.Path store)
      throws Exception {
    cloud.close();
    cloud = CloudService.start(CloudConfig.builder(server.url()).auth(server.auth(Role.CLOUD, "cloud"))
        .minerAuth(server.auth(Role.MINER, "miner"))
        .miner(io.fogwise.cloud.history.MinerService.Settings.of(store, "cloud-a")).build());
    client.jetStream().publish(Subjects.telemetry("gw1", "d1"), MessageCodec.encode(new io.fogwise.protocol.Telemetry(
        "d1", "gw1", System.currentTimeMillis(), 0.5, 1, 2, null, null, null)));
    client.jetStream().publish(Subjects.telemetry("gw1", "d1"), "{\"deviceId\":\"d1\"}".getBytes(StandardCharsets.UTF_8));
    io.fogwise.cloud.history.MinerService miner = cloud.miner().orElseThrow();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> miner.history().counts().telemetry() == 1
        && miner.history().counts().rejectedTotal() == 1);
    assertEquals(1.0, cloud.meters().get("fogwise_miner_rejected").tags("reason", "missing-field").counter().count());
    assertTrue(miner.isLeader());
    // the real miner: one reading is too little to learn anything from, and it says so
    String summary = miner.runNow("test").get().summary();
    assertTrue(summary.contains("not published: "), summary);
  }

  @Test
  void startingWithoutAHubSaysWhichOne() {
    int port = NatsServer.freePort();
    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> CloudService.start(
        CloudConfig.builder("nats://127.0.0.1:" + port).auth(NatsAuth.insecure()).startTimeout(Duration.ofSeconds(1)).build()));
    assertTrue(e.getMessage().startsWith("cannot reach NATS at nats://127.0.0.1:" + port), e.getMessage());
  }
}
