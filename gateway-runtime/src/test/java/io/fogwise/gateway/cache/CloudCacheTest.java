package io.fogwise.gateway.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fogwise.gateway.cache.CloudCache.Outcome;
import io.fogwise.gateway.cache.CloudCache.Read;
import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.ProtocolViolation;
import io.fogwise.protocol.time.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The cache on a manual clock (Caffeine's ticker) with an in-memory cloud; Caffeine's work runs
 * on the calling thread, so every step is deterministic.
 */
class CloudCacheTest {
  private final ManualClock clock = new ManualClock();
  private final FakeCloud cloud = new FakeCloud();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
  private final MemoryWarmStore warm = new MemoryWarmStore();
  private final List<CloudCache> caches = new ArrayList<>();

  private CloudCache cache(CloudCache.Settings settings) {
    CloudCache c = CloudCache.create(settings, cloud, warm, CacheMetrics.micrometer(meters, "gw-t"), clock,
        Runnable::run, Runnable::run);
    caches.add(c);
    return c;
  }

  private CloudCache cache() {
    return cache(CloudCache.Settings.DEFAULT);
  }

  @AfterEach
  void close() {
    caches.forEach(CloudCache::close);
  }

  private static Read read(CloudCache c, String key) {
    CompletableFuture<Read> f = c.read(key);
    assertTrue(f.isDone(), "with a direct executor and an answering cloud, a read completes at once");
    return f.join();
  }

  private static String text(Read r) {
    return new String(r.reply().item().value(), StandardCharsets.UTF_8);
  }

  private double stale() {
    return meters.get("fogwise_cache_stale_answers").counter().count();
  }

  private double failures(String reason) {
    var c = meters.find("fogwise_cache_cloud_failures").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  void aMissLoadsFromTheCloudOnceThenHits() {
    CloudCache c = cache();
    cloud.put("cfg/a", 1, "one");
    Read first = read(c, "cfg/a");
    assertEquals(Outcome.FRESH, first.outcome());
    assertEquals("one", text(first));
    assertFalse(first.reply().stale());
    clock.advance(Duration.ofSeconds(10));
    Read second = read(c, "cfg/a");
    assertEquals(Outcome.FRESH, second.outcome());
    assertEquals(10_000, second.reply().ageMs(), "the age counts from the load");
    assertEquals(1, cloud.asked("cfg/a"));
    assertEquals(1.0, meters.get("cache.gets").tag("result", "hit").functionCounter().count(),
        "Caffeine's statistics are bound to the registry");
  }

  @Test
  void concurrentMissesOnOneKeyLoadItOnce() throws Exception {
    CloudCache c = cache();
    cloud.put("hot", 1, "v1");
    cloud.mode = FakeCloud.Mode.HOLD;
    int n = 32;
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<CompletableFuture<Read>> reads = new CopyOnWriteArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    CountDownLatch asked = new CountDownLatch(n);
    try {
      for (int i = 0; i < n; i++) {
        pool.execute(() -> {
          try {
            go.await();
            reads.add(c.read("hot"));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } finally {
            asked.countDown();
          }
        });
      }
      go.countDown();
      assertTrue(asked.await(10, TimeUnit.SECONDS));
    } finally {
      pool.shutdown();
    }
    assertEquals(1, cloud.asked("hot"), "32 concurrent misses, one cloud request");
    assertTrue(reads.stream().noneMatch(CompletableFuture::isDone), "all wait for that one request");
    cloud.release("hot");
    for (CompletableFuture<Read> r : reads) {
      assertEquals("v1", text(r.get(5, TimeUnit.SECONDS)));
    }
  }

  @Test
  void aCopyReadAfterRefreshAfterWriteIsRefreshedAheadWhileTheOldOneIsServed() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    read(c, "k");
    cloud.put("k", 2, "v2"); // changed without an announcement (one lost on the way)
    clock.advance(Duration.ofSeconds(29));
    assertEquals("v1", text(read(c, "k")));
    assertEquals(1, cloud.asked("k"), "not yet due");
    clock.advance(Duration.ofSeconds(2));
    cloud.mode = FakeCloud.Mode.HOLD; // the cloud takes its time
    Read served = read(c, "k");
    assertEquals("v1", text(served), "the read that triggers the refresh is answered from the cache at once");
    assertEquals(Outcome.FRESH, served.outcome());
    assertEquals(2, cloud.asked("k"), "refreshed ahead, in the background");
    read(c, "k");
    assertEquals(2, cloud.asked("k"), "one refresh in flight per key");
    cloud.release("k");
    Read next = read(c, "k");
    assertEquals("v2", text(next));
    assertEquals(0, next.reply().ageMs());
  }

  @Test
  void aCopyPastItsFreshnessIsReloadedBeforeItIsServed() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    read(c, "k");
    cloud.put("k", 2, "v2");
    clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    Read r = read(c, "k");
    assertEquals(Outcome.FRESH, r.outcome());
    assertEquals("v2", text(r), "not the 5-minute-old copy");
    assertEquals(2, cloud.asked("k"));
  }

  @Test
  void whenTheCloudIsDownTheLastCopyIsServedStaleWithItsAgeUpToTheMaximumStaleness() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    read(c, "k");
    cloud.mode = FakeCloud.Mode.TIMEOUT;
    clock.advance(Duration.ofMinutes(6));
    Read r = read(c, "k");
    assertEquals(Outcome.STALE, r.outcome());
    assertTrue(r.reply().stale());
    assertEquals(Duration.ofMinutes(6).toMillis(), r.reply().ageMs());
    assertEquals("v1", text(r));
    assertEquals(1.0, stale());
    assertEquals(1.0, failures("timeout"));
    int asked = cloud.asked("k");
    clock.advance(Duration.ofSeconds(1));
    assertEquals(Outcome.STALE, read(c, "k").outcome());
    assertEquals(asked, cloud.asked("k"), "within retryAfterFailure: answered stale at once, the cloud not asked");
    assertEquals(2.0, stale());

    clock.advance(Duration.ofMinutes(53)); // 59 min 1 s old
    Read old = read(c, "k");
    assertEquals(Outcome.STALE, old.outcome());
    clock.advance(Duration.ofMinutes(1)); // over an hour
    Read gone = read(c, "k");
    assertEquals(Outcome.CLOUD_UNREACHABLE, gone.outcome());
    assertNull(gone.reply().item());
    assertTrue(gone.reply().error().contains("no answer within"), gone.reply().error());
  }

  @Test
  void aCloudThatAnswersGarbageGetsTheStaleValueCountedAndWhenBackRefreshes() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    read(c, "k");
    cloud.mode = FakeCloud.Mode.GARBAGE;
    clock.advance(Duration.ofMinutes(10));
    Read r = read(c, "k");
    assertEquals(Outcome.STALE, r.outcome());
    assertEquals(1.0, failures("garbage"));
    assertEquals(1.0, stale());

    cloud.mode = FakeCloud.Mode.UP;
    cloud.put("k", 2, "v2");
    clock.advance(Duration.ofSeconds(5)); // retryAfterFailure passed
    Read back = read(c, "k");
    assertEquals(Outcome.FRESH, back.outcome());
    assertEquals("v2", text(back));
  }

  @Test
  void withNoCopyAFailingCloudIsAnErrorThatSaysWhyAndIsNotCached() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    cloud.mode = FakeCloud.Mode.TIMEOUT;
    assertEquals(Outcome.CLOUD_UNREACHABLE, read(c, "k").outcome());
    cloud.mode = FakeCloud.Mode.GARBAGE;
    Read bad = read(c, "k");
    assertEquals(Outcome.CLOUD_ERROR, bad.outcome());
    assertTrue(bad.reply().error().contains("not a DataReply"), bad.reply().error());
    cloud.mode = FakeCloud.Mode.UP;
    assertEquals(Outcome.FRESH, read(c, "k").outcome());
    assertEquals(3, cloud.asked("k"));
  }

  @Test
  void aPutAnnouncementInvalidatesTheCopyAndADeleteRemovesIt() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    read(c, "k");
    cloud.put("k", 2, "v2");
    c.changed(new DataChange("k", 2, DataChange.Op.PUT, clock.wallMillis()));
    Read r = read(c, "k");
    assertEquals("v2", text(r));
    assertEquals(2, cloud.asked("k"));
    c.changed(new DataChange("k", 2, DataChange.Op.PUT, clock.wallMillis()));
    read(c, "k");
    assertEquals(2, cloud.asked("k"), "a repeated announcement of the version held changes nothing");

    cloud.items.remove("k");
    c.changed(new DataChange("k", 2, DataChange.Op.DELETE, clock.wallMillis()));
    assertEquals(0, c.size());
    assertEquals(Outcome.NOT_FOUND, read(c, "k").outcome());
  }

  @Test
  void anInvalidatedCopyIsStillTheStaleFallbackWhenTheCloudFailsToGiveTheNewVersion() {
    CloudCache c = cache();
    cloud.put("k", 1, "v1");
    read(c, "k");
    c.changed(new DataChange("k", 2, DataChange.Op.PUT, clock.wallMillis()));
    cloud.mode = FakeCloud.Mode.TIMEOUT;
    clock.advance(Duration.ofSeconds(3));
    Read r = read(c, "k");
    assertEquals(Outcome.STALE, r.outcome(), "superseded: never served as fresh again");
    assertEquals("v1", text(r));
    assertEquals(3_000, r.reply().ageMs());
  }

  @Test
  void notFoundIsRememberedBrieflyAndAPutEndsItSooner() {
    CloudCache c = cache();
    Read r = read(c, "nope");
    assertEquals(Outcome.NOT_FOUND, r.outcome());
    assertTrue(r.reply().isNotFound());
    read(c, "nope");
    assertEquals(1, cloud.asked("nope"), "remembered");
    clock.advance(CloudCache.Settings.DEFAULT_NOT_FOUND_TTL.plusMillis(1));
    read(c, "nope");
    assertEquals(2, cloud.asked("nope"), "forgotten after the TTL");

    cloud.put("nope", 1, "now it exists");
    c.changed(new DataChange("nope", 1, DataChange.Op.PUT, clock.wallMillis()));
    assertEquals("now it exists", text(read(c, "nope")));
  }

  @Test
  void theCacheIsBoundedByTheBytesOfItsValues() {
    CloudCache c = cache(CloudCache.Settings.builder().maxBytes(1_000).build());
    String hundred = "x".repeat(98);
    for (int i = 0; i < 30; i++) {
      cloud.put("k" + i, 1, hundred); // weight 98 + 2 = 100
      read(c, "k" + i);
    }
    assertTrue(c.size() <= 10, "at most 1000 bytes of 100-byte entries, got " + c.size());
    assertTrue(c.size() >= 5, "but not emptied either: " + c.size());
    assertTrue(meters.get("cache.evictions").functionCounter().count() >= 20);
  }

  @Test
  void aWarmStartServesSavedCopiesWithTheirOriginalAgeEvenWithTheCloudDown() throws Exception {
    CloudCache first = cache();
    cloud.put("a", 1, "A");
    cloud.put("b", 1, "B");
    read(first, "a");
    read(first, "b");
    assertEquals(2, first.persist().get(5, TimeUnit.SECONDS));
    first.close();

    clock.advance(Duration.ofMinutes(20)); // the gateway was down for 20 minutes
    cloud.mode = FakeCloud.Mode.TIMEOUT;
    int asked = cloud.asked("a") + cloud.asked("b");
    CloudCache second = cache();
    assertEquals(2, second.warmStart().get(5, TimeUnit.SECONDS));
    assertEquals(asked + 1, cloud.asked("a") + cloud.asked("b"),
        "revalidation stops at the first sign that the cloud is unreachable");
    Read r = read(second, "a");
    assertEquals(Outcome.STALE, r.outcome());
    assertEquals("A", text(r));
    assertEquals(Duration.ofMinutes(20).toMillis(), r.reply().ageMs(), "aged from its original load");
  }

  @Test
  void aWarmStartRevalidatesWithTheCloudWhenItAnswers() throws Exception {
    CloudCache first = cache();
    cloud.put("a", 1, "A");
    read(first, "a");
    first.close();
    clock.advance(Duration.ofMinutes(2));
    cloud.put("a", 2, "A2");
    CloudCache second = cache();
    assertEquals(1, second.warmStart().get(5, TimeUnit.SECONDS));
    Read r = read(second, "a");
    assertEquals("A2", text(r), "revalidated in the background at start");
    assertEquals(Outcome.FRESH, r.outcome());
  }

  @Test
  void copiesOlderThanTheMaximumStalenessAreNotWarmStarted() throws Exception {
    CloudCache first = cache();
    cloud.put("a", 1, "A");
    read(first, "a");
    first.close();
    clock.advance(Duration.ofHours(2));
    cloud.mode = FakeCloud.Mode.TIMEOUT;
    CloudCache second = cache();
    assertEquals(0, second.warmStart().get(5, TimeUnit.SECONDS));
    assertEquals(Outcome.CLOUD_UNREACHABLE, read(second, "a").outcome());
  }

  @Test
  void valuesBeyondTheWarmByteBoundAreSavedAsKeysOnly() throws Exception {
    CloudCache c = cache(CloudCache.Settings.builder().warmMaxBytes(150).build());
    cloud.put("a", 1, "x".repeat(100));
    cloud.put("b", 1, "y".repeat(100));
    read(c, "a");
    read(c, "b");
    c.persist().get(5, TimeUnit.SECONDS);
    assertEquals(2, warm.saved.size());
    assertEquals(1, warm.saved.stream().filter(s -> s.item() == null).count());
  }

  @Test
  void aMalformedKeyIsRefusedAtTheBoundary() {
    CloudCache c = cache();
    ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> c.read("../etc/passwd"));
    assertEquals("key", v.field());
    assertThrows(ProtocolViolation.class, () -> c.read(""));
  }

  @Test
  void settingsAreCheckedWhenBuilt() {
    assertThrows(IllegalArgumentException.class,
        () -> CloudCache.Settings.builder().refreshAfterWrite(Duration.ofMinutes(10)).build());
    assertThrows(IllegalArgumentException.class,
        () -> CloudCache.Settings.builder().maxStale(Duration.ofMinutes(1)).build());
    assertThrows(IllegalArgumentException.class, () -> CloudCache.Settings.builder().maxBytes(0));
  }

  /** A warm store in memory. */
  static final class MemoryWarmStore implements WarmStore {
    volatile List<Saved> saved = List.of();

    @Override
    public List<Saved> load() {
      return saved;
    }

    @Override
    public void save(List<Saved> entries) {
      saved = List.copyOf(entries);
    }
  }
}
