package io.fogwise.cloud.data;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ProtocolViolation;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.ManualClock;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ObjectInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link DataStore#jetStream} against a real nats-server with JetStream. */
class JetStreamDataStoreIT {
  private static final byte[] JSON = "{\"stations\":[1,2,3]}".getBytes(StandardCharsets.UTF_8);

  private NatsServer server;
  private Connection nats;
  private final ManualClock clock = new ManualClock(1_767_225_600_000L);
  private DataStore store;
  private final List<DataChange> changes = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    server = NatsServer.start();
    nats = connect(server);
    store = DataStore.jetStream(nats, DataLimits.DEFAULT, clock);
    Dispatcher d = nats.createDispatcher(m -> {
      try {
        changes.add(MessageCodec.decode(m.getData(), DataChange.class));
      } catch (io.fogwise.protocol.RejectedMessageException e) {
        throw new AssertionError("an announcement that is not a DataChange", e);
      }
    });
    d.subscribe(Subjects.CLOUD_DATA_CHANGES);
    nats.flush(Duration.ofSeconds(5));
  }

  @AfterEach
  void stop() throws Exception {
    if (nats != null) {
      nats.close();
    }
    if (server != null) {
      server.close();
    }
  }

  /** An operator connection, as the CLI's cloud data commands use. */
  static Connection connect(NatsServer server) throws Exception {
    return Nats.connect(server.operatorAuth().applyTo(new Options.Builder()).server(server.url()).errorListener(new ErrorListener() { })
        .connectionListener((c, t) -> { }).build());
  }

  @Test
  void putGetListDeleteWithIncreasingVersionsEachAnnounced() {
    assertTrue(store.get("ref/stations").isEmpty());
    DataItem v1 = store.put("ref/stations", "application/json", JSON);
    assertEquals(1, v1.version());
    assertEquals(1_767_225_600_000L, v1.updatedAtMillis());
    clock.advanceMillis(1000);
    DataItem v2 = store.put("ref/stations", "application/json", "{}".getBytes(StandardCharsets.UTF_8));
    assertEquals(2, v2.version());
    store.put("config/gw-1", "text/plain", "x=1".getBytes(StandardCharsets.UTF_8));

    DataItem read = store.get("ref/stations").orElseThrow();
    assertEquals(2, read.version());
    assertEquals("application/json", read.contentType());
    assertEquals(1_767_225_601_000L, read.updatedAtMillis());
    assertArrayEquals("{}".getBytes(StandardCharsets.UTF_8), read.value());
    assertEquals(List.of(
        new ItemInfo("config/gw-1", 1, "text/plain", 1_767_225_601_000L, 3, DataLimits.Placement.INLINE),
        new ItemInfo("ref/stations", 2, "application/json", 1_767_225_601_000L, 2, DataLimits.Placement.INLINE)),
        store.list());

    DataChange deleted = store.delete("ref/stations").orElseThrow();
    assertEquals(new DataChange("ref/stations", 2, DataChange.Op.DELETE, 1_767_225_601_000L), deleted);
    assertTrue(store.get("ref/stations").isEmpty());
    assertTrue(store.delete("ref/stations").isEmpty(), "nothing left to delete");
    assertEquals(List.of("config/gw-1"), store.list().stream().map(ItemInfo::key).toList());
    // put again after a delete: the versions go on, so a gateway never sees one go backwards
    assertEquals(3, store.put("ref/stations", "application/json", JSON).version());

    // announced by the writer before put/delete returned
    assertEquals(List.of(
        new DataChange("ref/stations", 1, DataChange.Op.PUT, 1_767_225_600_000L),
        new DataChange("ref/stations", 2, DataChange.Op.PUT, 1_767_225_601_000L),
        new DataChange("config/gw-1", 1, DataChange.Op.PUT, 1_767_225_601_000L),
        new DataChange("ref/stations", 2, DataChange.Op.DELETE, 1_767_225_601_000L),
        new DataChange("ref/stations", 3, DataChange.Op.PUT, 1_767_225_601_000L)),
        await().atMost(Duration.ofSeconds(5)).until(() -> List.copyOf(changes), c -> c.size() == 5));
  }

  @Test
  void aLargeItemGoesToTheObjectStoreAndReadsBackByteIdentical() throws Exception {
    byte[] big = new byte[3 * 1024 * 1024 + 17];
    new Random(42).nextBytes(big);
    DataItem v1 = store.put("models/battery", "application/octet-stream", big);
    assertEquals(1, v1.version());
    assertArrayEquals(big, store.get("models/battery").orElseThrow().value());
    assertEquals(DataLimits.Placement.OBJECT_STORE, store.list().get(0).placement());
    assertEquals(big.length, store.list().get(0).size());
    assertEquals(1, liveObjects().size());
    ItemTooLargeException notRead = assertThrows(ItemTooLargeException.class,
        () -> store.get("models/battery", 1024 * 1024));
    assertTrue(notRead.getMessage().startsWith("item 'models/battery' is " + big.length + " bytes"), notRead.getMessage());

    byte[] bigger = new byte[5 * 1024 * 1024];
    new Random(7).nextBytes(bigger);
    assertEquals(2, store.put("models/battery", "application/octet-stream", bigger).version());
    assertArrayEquals(bigger, store.get("models/battery").orElseThrow().value());
    assertEquals(1, liveObjects().size(), "the replaced version's object is removed");

    // back to a small value: inline again, and the object goes
    assertEquals(3, store.put("models/battery", "application/json", JSON).version());
    assertEquals(DataLimits.Placement.INLINE, store.list().get(0).placement());
    assertEquals(0, liveObjects().size());
    store.put("models/battery", "application/octet-stream", big);
    store.delete("models/battery");
    assertEquals(0, liveObjects().size(), "a deleted item's object is removed");
  }

  @Test
  void anItemOverTheLimitIsRefusedAndNothingIsStoredOrAnnounced() throws Exception {
    DataStore small = DataStore.jetStream(nats, DataLimits.DEFAULT.withMaxItemBytes(1024 * 1024), clock);
    ItemTooLargeException e = assertThrows(ItemTooLargeException.class,
        () -> small.put("models/huge", "application/octet-stream", new byte[1024 * 1024 + 1]));
    assertTrue(e.getMessage().contains("over the limit of 1 MiB per item"), e.getMessage());
    assertTrue(small.get("models/huge").isEmpty());
    assertTrue(liveObjects().isEmpty());
    small.put("marker", "text/plain", new byte[1]);
    await().atMost(Duration.ofSeconds(5)).until(() -> !changes.isEmpty());
    assertEquals(List.of("marker"), changes.stream().map(DataChange::key).toList());
  }

  @Test
  void badKeysAndContentTypesAreRefusedNamingTheRule() {
    ProtocolViolation key = assertThrows(ProtocolViolation.class, () -> store.put("a..b", "text/plain", JSON));
    assertTrue(key.getMessage().contains("letters, digits and . _ - /"), key.getMessage());
    ProtocolViolation type = assertThrows(ProtocolViolation.class, () -> store.put("k", "json please", JSON));
    assertEquals("contentType", type.field());
    assertTrue(store.list().isEmpty());
  }

  @Test
  void concurrentPutsOfOneKeyNeverLoseAnUpdate() throws Exception {
    int writers = 4;
    int each = 25;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<List<Long>>> futures = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int writer = w;
        futures.add(pool.submit(() -> {
          // each writer on its own connection, as separate CLI calls would be
          try (Connection c = connect(server)) {
            DataStore s = DataStore.jetStream(c, DataLimits.DEFAULT, clock);
            List<Long> versions = new ArrayList<>();
            for (int i = 0; i < each; i++) {
              versions.add(s.put("hot", "text/plain", (writer + ":" + i).getBytes(StandardCharsets.UTF_8)).version());
            }
            return versions;
          }
        }));
      }
      List<Long> all = new ArrayList<>();
      for (Future<List<Long>> f : futures) {
        all.addAll(f.get());
      }
      Collections.sort(all);
      assertEquals(LongStream.rangeClosed(1, writers * each).boxed().toList(), all, "every put got its own version");
      assertEquals(writers * each, store.get("hot").orElseThrow().version());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentLargePutsLeaveOneConsistentItemAndOneObject() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < 2; w++) {
        byte fill = (byte) w;
        futures.add(pool.submit(() -> {
          try (Connection c = connect(server)) {
            DataStore s = DataStore.jetStream(c, DataLimits.DEFAULT, clock);
            byte[] value = new byte[600 * 1024];
            java.util.Arrays.fill(value, fill);
            for (int i = 0; i < 3; i++) {
              s.put("models/shared", "application/octet-stream", value);
              byte[] read = s.get("models/shared").orElseThrow().value();
              assertEquals(value.length, read.length);
              assertTrue(read[0] == read[read.length - 1], "one writer's content, whole");
            }
          }
          return null;
        }));
      }
      for (Future<?> f : futures) {
        f.get();
      }
      assertEquals(6, store.get("models/shared").orElseThrow().version());
      assertEquals(1, liveObjects().size());
    } finally {
      pool.shutdownNow();
    }
  }

  private List<ObjectInfo> liveObjects() throws Exception {
    return nats.objectStore(Subjects.CLOUD_OBJECT_STORE).getList().stream().filter(o -> !o.isDeleted()).toList();
  }
}
