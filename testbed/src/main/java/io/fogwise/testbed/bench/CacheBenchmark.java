package io.fogwise.testbed.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fogwise.cloud.data.DataStore;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.identity.IdentityHome;
import io.fogwise.identity.Role;
import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.NatsAuth;
import io.fogwise.protocol.Subjects;
import io.fogwise.testbed.cluster.ComponentLauncher;
import io.fogwise.testbed.cluster.LocalCluster;
import io.fogwise.testbed.cluster.Timeline;
import io.fogwise.testbed.link.Direction;
import io.fogwise.testbed.link.LinkEmulator;
import io.fogwise.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;

/**
 * {@code fogwise bench cache}: the gateway's cache of cloud data, measured from outside.
 *
 * <p>Topology: the cloud's NATS (JetStream domain {@code cloud}, the cloud data store) and the edge
 * hub (domain {@code edge}) are two nats-servers joined by a leaf-node connection that runs
 * through the {@link LinkEmulator} (half the round trip each way), so everything between the
 * edge and the cloud crosses the emulated link once each way while the cloud service's own
 * reads of its store stay in the cloud. The cloud service ({@code fogwise cloud}) runs against
 * the cloud's NATS, the gateway ({@code fogwise gateway}) and the benchmark's readers against the
 * edge hub on loopback; each is its own process. A read is timed by the reader, request to reply.
 */
public final class CacheBenchmark {
  private static final String GW = "gw-cache";
  private static final String GW_FRESH = "gw-cache-fresh";
  private static final String CONTENT_TYPE = "application/octet-stream";
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  /** Hot keys for the hit-latency and throughput phases: the most popular ranks, all cached. */
  private static final int HOT_KEYS = 100;
  /** Keys read rarely in the refresh phase (each once per {@link Settings#coldReadInterval}). */
  private static final int LUKEWARM_KEYS = 20;
  /** Unrecorded rounds of the latency phase first. */
  private static final int LATENCY_WARMUP = 1000;

  /** What to run. */
  public record Settings(int keys, int valueBytes, int cacheItems, double exponent, Duration linkRtt,
      int latencySamples, int missSamples, int zipfWarmup, int zipfRequests, int zipfReaders, List<Integer> readerCounts,
      Duration throughputTime, Duration refreshRun, Duration refreshAfter, Duration freshFor,
      Duration coldReadInterval, long seed) {
    public Settings {
      Objects.requireNonNull(linkRtt, "linkRtt");
      if (cacheItems >= keys) {
        throw new IllegalArgumentException("the key space (" + keys + ") must be larger than the cache (" + cacheItems
            + " items)");
      }
      if (keys < HOT_KEYS + LUKEWARM_KEYS + missSamples) {
        throw new IllegalArgumentException("at least " + (HOT_KEYS + LUKEWARM_KEYS + missSamples) + " keys needed");
      }
      if (refreshAfter.compareTo(freshFor) >= 0 || coldReadInterval.compareTo(freshFor) <= 0) {
        throw new IllegalArgumentException("need refreshAfter < freshFor < coldReadInterval");
      }
    }

    /** The scale: Zipf 1.0 over 10k keys of 1 KiB, a cache of 1000 items, a 4 ms link. */
    public static Settings defaults() {
      return new Settings(10_000, 1024, 1000, 1.0, Duration.ofMillis(4), 2000, 200, 30_000, 100_000, 4,
          List.of(1, 4, 16), Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(1),
          Duration.ofSeconds(2), Duration.ofSeconds(3), 1);
    }

    String key(int index) {
      return String.format("bench/k%05d", index);
    }

    /** The cache's byte bound for {@link #cacheItems}: the gateway weighs an item as its key length plus its value. */
    long cacheMaxBytes() {
      return (long) cacheItems * (key(0).length() + valueBytes);
    }
  }

  private final ComponentLauncher launcher;
  private final Timeline timeline;

  public CacheBenchmark(ComponentLauncher launcher, Timeline timeline) {
    this.launcher = launcher;
    this.timeline = timeline;
  }

  /** Runs every phase; throws when it cannot measure (a component that does not come up, failed reads). */
  public ObjectNode run(Settings s, Path runDir) throws Exception {
    ObjectNode out = MessageCodec.mapper().createObjectNode();
    Files.createDirectories(runDir);
    int leafPort = NatsServer.freePort();
    Path cloudConf = runDir.resolve("cloud-nats.conf");
    // both servers serve the same identities; the leaf link is TLS, authenticated as the operator
    IdentityHome home = IdentityHome.openOrInit(runDir.resolve("identity"));
    Path hubCert = home.dir().resolve("hub/server.pem");
    Path hubKey = home.dir().resolve("hub/server-key.pem");
    Files.writeString(cloudConf, "jetstream { domain: cloud }\nleafnodes { listen: \"127.0.0.1:" + leafPort
        + "\", tls: { cert_file: \"" + hubCert + "\", key_file: \"" + hubKey + "\" } }\n");
    List<Connection> conns = new ArrayList<>();
    try (NatsServer cloudNats = NatsServer.builder().store(runDir.resolve("cloud-nats")).config(cloudConf)
            .identity(home.dir()).start();
        LinkEmulator link = LinkEmulator.start("127.0.0.1", leafPort)) {
      long half = s.linkRtt().toNanos() / 2;
      link.delay(Direction.UPSTREAM, Duration.ofNanos(half)).delay(Direction.DOWNSTREAM, Duration.ofNanos(half));
      timeline.log("cloud NATS (pid %d) on %s; cloud link: leaf node through the link emulator on %s, %d µs each way",
          cloudNats.pid(), cloudNats.url(), link.url(), half / 1000);
      Path edgeConf = runDir.resolve("edge-hub.conf");
      Files.writeString(edgeConf, "jetstream { domain: edge }\nleafnodes { remotes [ { url: \"tls://127.0.0.1:"
          + link.port() + "\", credentials: \"" + home.credsFile(Role.OPERATOR, IdentityHome.DEFAULT_OPERATOR)
          + "\", tls: { ca_file: \"" + home.caFile() + "\" } } ] }\n");
      try (LocalCluster cluster = LocalCluster.start(launcher, runDir, timeline, null,
          NatsServer.builder().config(edgeConf).identity(home.dir()))) {
        try {
          String edge = cluster.hub().url();
          NatsAuth auth = cluster.operatorAuth();
          Connection cloudClient = connect(cloudNats.url(), "bench-seed", auth, conns);
          seed(s, cloudClient);
          List<String> cloudArgs = new ArrayList<>(List.of("cloud", "--nats", cloudNats.url(), "--no-miner"));
          cloudArgs.addAll(cluster.identityArgs(Role.CLOUD, "cloud", null));
          cluster.launch("cloud", cloudArgs, ComponentLauncher.GATEWAY_JVM);
          timeline.log("cloud service started against the cloud NATS");
          Connection direct = connect(edge, "bench-direct", auth, conns);
          awaitOk(() -> read(direct, Subjects.CLOUD_DATA_GET, s.key(0)), "a direct read of the cloud over the link");
          cluster.startGateway(GW, List.of("--ephemeral", "--cache-max-bytes", Long.toString(s.cacheMaxBytes())));
          List<Connection> readers = new ArrayList<>();
          for (int i = 0; i < 4; i++) {
            readers.add(connect(edge, "bench-reader-" + i, auth, conns));
          }
          String gwSubject = Subjects.cacheGet(GW);
          awaitOk(() -> read(readers.get(0), gwSubject, s.key(0)), "a read through gateway " + GW);
          int[] byRank = permutation(s.keys(), s.seed());

          out.set("settings", settingsJson(s));
          out.put("topology", "edge hub <-> cloud NATS: leaf node through the link emulator ("
              + s.linkRtt().toMillis() + " ms round trip); cloud service on the cloud NATS; gateway and readers on the"
              + " edge hub (loopback); each its own process");
          out.set("latency", latency(s, byRank, readers.get(0), direct, cloudClient, gwSubject));
          out.set("zipf", zipf(s, byRank, readers, gwSubject, cluster.httpPort(GW)));
          out.set("throughput", throughput(s, byRank, readers, gwSubject));
          cluster.process(GW).destroy();
          cluster.process(GW).waitFor(10, TimeUnit.SECONDS);
          out.set("refreshAhead", refresh(s, byRank, cluster, readers));
          out.set("link", linkJson(link));
        } finally {
          close(conns); // before the hubs stop, or each reconnects and says so
        }
      }
    } finally {
      close(conns);
    }
    return out;
  }

  // --- phases ---------------------------------------------------------------------------------

  /** Hit through the gateway, direct over the link and direct in the cloud, interleaved; then misses. */
  private ObjectNode latency(Settings s, int[] byRank, Connection reader, Connection direct, Connection inCloud,
      String gwSubject) throws Exception {
    for (int r = 0; r < HOT_KEYS; r++) {
      ok(read(reader, gwSubject, s.key(byRank[r])), "loading hot key");
    }
    for (int i = 0; i < LATENCY_WARMUP; i++) { // JIT and connections warm on all three paths, not recorded
      String key = s.key(byRank[i % HOT_KEYS]);
      ok(read(reader, gwSubject, key), "hit");
      ok(read(direct, Subjects.CLOUD_DATA_GET, key), "direct read");
      ok(read(inCloud, Subjects.CLOUD_DATA_GET, key), "in-cloud read");
    }
    Histogram hit = histogram();
    Histogram overLink = histogram();
    Histogram local = histogram();
    for (int i = 0; i < s.latencySamples(); i++) {
      String key = s.key(byRank[i % HOT_KEYS]);
      hit.recordValue(ok(read(reader, gwSubject, key), "hit").micros);
      overLink.recordValue(ok(read(direct, Subjects.CLOUD_DATA_GET, key), "direct read").micros);
      local.recordValue(ok(read(inCloud, Subjects.CLOUD_DATA_GET, key), "in-cloud read").micros);
    }
    Histogram miss = histogram();
    for (int i = 0; i < s.missSamples(); i++) {
      // the least popular ranks: never read before, so each is a miss the gateway loads over the link
      miss.recordValue(ok(read(reader, gwSubject, s.key(byRank[s.keys() - 1 - i])), "miss").micros);
    }
    timeline.log("latency: hit p50 %d µs p99 %d µs; direct over the link p50 %d µs p99 %d µs; miss p50 %d µs",
        hit.getValueAtPercentile(50), hit.getValueAtPercentile(99), overLink.getValueAtPercentile(50),
        overLink.getValueAtPercentile(99), miss.getValueAtPercentile(50));
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("samples", s.latencySamples());
    o.set("hitThroughGatewayUs", pct(hit));
    o.set("directFromCloudOverLinkUs", pct(overLink));
    o.set("directFromCloudInCloudUs", pct(local));
    o.set("missThroughGatewayUs", pct(miss));
    return o;
  }

  private ObjectNode zipf(Settings s, int[] byRank, List<Connection> readers, String gwSubject, int httpPort)
      throws Exception {
    Zipf zipf = new Zipf(s.keys(), s.exponent());
    long missThreshold = s.linkRtt().toNanos() / 1000;
    timeline.log("zipf: %d warm-up reads, then %d measured, %d readers", s.zipfWarmup(), s.zipfRequests(),
        s.zipfReaders());
    zipfRun(s, zipf, byRank, readers, gwSubject, s.zipfWarmup(), s.seed() * 31, missThreshold);
    long[] before = gatewayGets(httpPort);
    ZipfCounts c = zipfRun(s, zipf, byRank, readers, gwSubject, s.zipfRequests(), s.seed() * 31 + 7, missThreshold);
    long[] after = gatewayGets(httpPort);
    double ideal = zipf.topShare(s.cacheItems());
    double ratio = c.hits.get() / (double) (c.hits.get() + c.misses.get());
    timeline.log("zipf %.2f over %d keys, cache of %d items: hit ratio %.4f (ideal %.4f), %d errors", s.exponent(),
        s.keys(), s.cacheItems(), ratio, ideal, c.errors.get());
    if (c.errors.get() > s.zipfRequests() / 100) {
      throw new IllegalStateException(c.errors.get() + " of " + s.zipfRequests() + " Zipf reads failed");
    }
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("exponent", s.exponent());
    o.put("keys", s.keys());
    o.put("cacheItems", s.cacheItems());
    o.put("cacheMaxBytes", s.cacheMaxBytes());
    o.put("requests", s.zipfRequests());
    o.put("warmupRequests", s.zipfWarmup());
    o.put("hits", c.hits.get());
    o.put("misses", c.misses.get());
    o.put("errors", c.errors.get());
    o.put("hitRatio", round4(ratio));
    o.put("idealHitRatio", round4(ideal));
    o.put("hitRatioOverIdeal", round4(ratio / ideal));
    o.put("missRule", "a read went to the cloud (a miss) when it took at least the link round trip (" + missThreshold
        + " µs) and got a copy younger than the read itself; every other answered read is a hit");
    long h = after[0] - before[0];
    long m = after[1] - before[1];
    o.put("gatewayReportedHitRatio", h + m == 0 ? 0 : round4(h / (double) (h + m)));
    o.set("hitUs", pct(c.hitLatency));
    o.set("missUs", pct(c.missLatency));
    return o;
  }

  private record ZipfCounts(AtomicLong hits, AtomicLong misses, AtomicLong errors, Histogram hitLatency,
      Histogram missLatency) {}

  private ZipfCounts zipfRun(Settings s, Zipf zipf, int[] byRank, List<Connection> readers, String gwSubject,
      int requests, long seed, long missThresholdUs) throws Exception {
    ZipfCounts c = new ZipfCounts(new AtomicLong(), new AtomicLong(), new AtomicLong(), histogram(), histogram());
    AtomicLong issued = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(s.zipfReaders());
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < s.zipfReaders(); t++) {
        Connection conn = readers.get(t % readers.size());
        SplittableRandom random = new SplittableRandom(seed + t);
        done.add(pool.submit(() -> {
          while (issued.incrementAndGet() <= requests) {
            Timed r = read(conn, gwSubject, s.key(byRank[zipf.sample(random)]));
            if (r.reply == null || r.reply.item() == null) {
              c.errors.incrementAndGet();
            } else if (r.waitedForCloud(missThresholdUs)) {
              c.misses.incrementAndGet();
              synchronized (c.missLatency) {
                c.missLatency.recordValue(r.micros);
              }
            } else {
              c.hits.incrementAndGet();
              synchronized (c.hitLatency) {
                c.hitLatency.recordValue(r.micros);
              }
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return c;
  }

  /** Closed loop: each reader sends its next read when the last is answered; hot keys only. */
  private ArrayNode throughput(Settings s, int[] byRank, List<Connection> readers, String gwSubject) throws Exception {
    ArrayNode arr = MessageCodec.mapper().createArrayNode();
    long missThresholdUs = s.linkRtt().toNanos() / 1000;
    for (int n : s.readerCounts()) {
      Histogram lat = histogram();
      AtomicLong reads = new AtomicLong();
      AtomicLong misses = new AtomicLong();
      AtomicLong errors = new AtomicLong();
      ExecutorService pool = Executors.newFixedThreadPool(n);
      long start = System.nanoTime();
      long end = start + s.throughputTime().toNanos();
      try {
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < n; t++) {
          Connection conn = readers.get(t % readers.size());
          SplittableRandom random = new SplittableRandom(s.seed() + 1000 + t);
          done.add(pool.submit(() -> {
            while (System.nanoTime() < end) {
              Timed r = read(conn, gwSubject, s.key(byRank[random.nextInt(HOT_KEYS)]));
              if (r.reply == null || r.reply.item() == null) {
                errors.incrementAndGet();
                continue;
              }
              reads.incrementAndGet();
              if (r.waitedForCloud(missThresholdUs)) {
                misses.incrementAndGet();
              }
              synchronized (lat) {
                lat.recordValue(r.micros);
              }
            }
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      double rate = reads.get() / seconds;
      timeline.log("throughput: %d readers, %.0f reads/s, p50 %d µs, p99 %d µs, %d errors", n, rate,
          lat.getValueAtPercentile(50), lat.getValueAtPercentile(99), errors.get());
      if (reads.get() == 0 || errors.get() > reads.get() / 100) {
        throw new IllegalStateException("throughput with " + n + " readers: " + reads.get() + " reads, "
            + errors.get() + " errors");
      }
      ObjectNode o = arr.addObject();
      o.put("readers", n);
      o.put("seconds", Math.round(seconds * 10) / 10.0);
      o.put("reads", reads.get());
      o.put("readsPerSecond", Math.round(rate));
      o.put("waitedForCloud", misses.get());
      o.put("errors", errors.get());
      o.set("latencyUs", pct(lat));
    }
    return arr;
  }

  /**
   * A gateway with a short fresh-for and refresh-after: hot keys read all the time, lukewarm keys
   * read less often than fresh-for (the control: their copies expire between reads).
   */
  private ObjectNode refresh(Settings s, int[] byRank, LocalCluster cluster, List<Connection> readers)
      throws Exception {
    cluster.startGateway(GW_FRESH, List.of("--ephemeral", "--cache-fresh-for", s.freshFor().toMillis() + "ms",
        "--cache-refresh-after", s.refreshAfter().toMillis() + "ms"));
    String subject = Subjects.cacheGet(GW_FRESH);
    awaitOk(() -> read(readers.get(0), subject, s.key(0)), "a read through gateway " + GW_FRESH);
    long freshMs = s.freshFor().toMillis();
    long missThresholdUs = s.linkRtt().toNanos() / 1000;
    RefreshCounts hot = new RefreshCounts();
    RefreshCounts lukewarm = new RefreshCounts();
    java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    long end = System.nanoTime() + s.refreshRun().toNanos();
    timeline.log("refresh-ahead: %d s, fresh for %d ms, refreshed after %d ms; %d hot keys read continuously, %d"
        + " read every %d ms", s.refreshRun().toSeconds(), freshMs, s.refreshAfter().toMillis(), HOT_KEYS,
        LUKEWARM_KEYS, s.coldReadInterval().toMillis());
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 2; t++) {
        Connection conn = readers.get(t);
        SplittableRandom random = new SplittableRandom(s.seed() + 2000 + t);
        done.add(pool.submit(() -> {
          while (System.nanoTime() < end) {
            String key = s.key(byRank[random.nextInt(HOT_KEYS)]);
            hot.count(read(conn, subject, key), seen.add(key), freshMs, missThresholdUs);
            Thread.sleep(2); // ≈ 400 reads/s per reader: each hot key is read several times a second
          }
          return null;
        }));
      }
      Connection conn = readers.get(2);
      done.add(pool.submit(() -> {
        long gap = s.coldReadInterval().toNanos() / LUKEWARM_KEYS;
        long next = System.nanoTime();
        for (int i = 0; System.nanoTime() < end; i++) {
          String key = s.key(byRank[HOT_KEYS + i % LUKEWARM_KEYS]);
          lukewarm.count(read(conn, subject, key), seen.add(key), freshMs, missThresholdUs);
          next += gap;
          long wait = next - System.nanoTime();
          if (wait > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
          }
        }
        return null;
      }));
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    timeline.log("refresh-ahead: hot keys %d reads (after the first), %d stale, %d waited for the cloud; lukewarm"
        + " %d reads, %d waited for the cloud", hot.reads.get(), hot.stale(), hot.waited.get(), lukewarm.reads.get(),
        lukewarm.waited.get());
    if (hot.reads.get() == 0 || hot.errors.get() > hot.reads.get() / 100) {
      throw new IllegalStateException("refresh-ahead: " + hot.reads.get() + " hot reads, " + hot.errors.get()
          + " errors");
    }
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("seconds", s.refreshRun().toSeconds());
    o.put("freshForMs", freshMs);
    o.put("refreshAfterMs", s.refreshAfter().toMillis());
    o.put("staleRule", "a hit is stale when the gateway marks it stale or its ageMs (since the cloud gave it) is over"
        + " fresh-for; a read waited for the cloud (not a hit) when it took at least the link round trip and got a copy"
        + " younger than the read itself");
    o.set("hot", hot.json(HOT_KEYS, "read continuously (2 readers, ~2 ms apart each)"));
    o.set("lukewarm", lukewarm.json(LUKEWARM_KEYS, "each read every " + s.coldReadInterval().toMillis() + " ms"));
    return o;
  }

  private static final class RefreshCounts {
    final AtomicLong reads = new AtomicLong();
    final AtomicLong hits = new AtomicLong();
    final AtomicLong staleFlag = new AtomicLong();
    final AtomicLong pastFresh = new AtomicLong();
    final AtomicLong waited = new AtomicLong();
    final AtomicLong errors = new AtomicLong();
    final AtomicLong firstReads = new AtomicLong();
    final Histogram age = new Histogram(3_600_000, 3);

    void count(Timed r, boolean first, long freshMs, long missThresholdUs) {
      if (r.reply == null || r.reply.item() == null) {
        errors.incrementAndGet();
        return;
      }
      if (first) {
        firstReads.incrementAndGet(); // the load; not a hit or a miss of refresh-ahead
        return;
      }
      reads.incrementAndGet();
      if (r.waitedForCloud(missThresholdUs)) {
        waited.incrementAndGet();
        return;
      }
      hits.incrementAndGet();
      boolean stale = r.reply.stale();
      boolean old = r.reply.ageMs() > freshMs;
      if (stale) {
        staleFlag.incrementAndGet();
      }
      if (old) {
        pastFresh.incrementAndGet();
      }
      synchronized (age) {
        age.recordValue(Math.min(3_599_999, r.reply.ageMs()));
      }
    }

    long stale() {
      return staleFlag.get() + pastFresh.get();
    }

    ObjectNode json(int keys, String how) {
      ObjectNode o = MessageCodec.mapper().createObjectNode();
      o.put("keys", keys);
      o.put("reads", how);
      o.put("readsAfterFirst", reads.get());
      o.put("hits", hits.get());
      o.put("staleHits", staleFlag.get());
      o.put("hitsPastFreshFor", pastFresh.get());
      o.put("staleShareOfHits", hits.get() == 0 ? 0 : round4((staleFlag.get() + pastFresh.get()) / (double) hits.get()));
      o.put("waitedForCloud", waited.get());
      o.put("waitedShare", reads.get() == 0 ? 0 : round4(waited.get() / (double) reads.get()));
      o.put("errors", errors.get());
      o.set("hitAgeMs", pct(age));
      return o;
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  /** One writer: the store announces each put and flushes, which jnats does not like from several threads at once. */
  private void seed(Settings s, Connection cloud) {
    long t0 = System.nanoTime();
    DataStore store = DataStore.jetStream(cloud);
    SplittableRandom random = new SplittableRandom(s.seed());
    for (int i = 0; i < s.keys(); i++) {
      byte[] value = new byte[s.valueBytes()];
      for (int b = 0; b < value.length; b++) {
        value[b] = (byte) random.nextInt(256);
      }
      store.put(s.key(i), CONTENT_TYPE, value);
    }
    timeline.log("cloud data: %d items of %d bytes put in %.1f s", s.keys(), s.valueBytes(),
        (System.nanoTime() - t0) / 1e9);
  }

  private record Timed(DataReply reply, long micros, String why) {
    /**
     * Whether this read waited for the cloud: it took at least the link's round trip, and the copy
     * it got was loaded from the cloud while it waited (younger than the read). A hit that is slow
     * only because a thread waited for a core gets an older copy, so it still counts as a hit.
     */
    boolean waitedForCloud(long linkRttUs) {
      return micros >= linkRttUs && reply.ageMs() * 1000 <= micros;
    }
  }

  /** One request/reply, timed by this process; a reply of null with the reason when it failed. */
  private static Timed read(Connection conn, String subject, String key) {
    byte[] body = MessageCodec.encode(new DataRequest(key));
    long t0 = System.nanoTime();
    Message m;
    try {
      m = conn.request(subject, body, REQUEST_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Timed(null, 0, "interrupted");
    } catch (RuntimeException e) {
      return new Timed(null, 0, e.toString());
    }
    long micros = (System.nanoTime() - t0) / 1000;
    if (m == null) {
      return new Timed(null, micros, "no answer on " + subject + " within " + REQUEST_TIMEOUT.toSeconds() + " s");
    }
    try {
      DataReply r = MessageCodec.decode(m.getData(), DataReply.class);
      return new Timed(r, micros, r.error());
    } catch (io.fogwise.protocol.RejectedMessageException | RuntimeException e) {
      return new Timed(null, micros, "unreadable answer on " + subject + ": " + e.getMessage());
    }
  }

  private static Timed ok(Timed r, String what) {
    if (r.reply == null || r.reply.item() == null) {
      throw new IllegalStateException(what + " failed: " + r.why);
    }
    return r;
  }

  private void awaitOk(java.util.function.Supplier<Timed> probe, String what) throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Timed last = null;
    while (System.nanoTime() < deadline) {
      last = probe.get();
      if (last.reply != null && last.reply.item() != null) {
        timeline.log("%s answered (%d µs)", what, last.micros);
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException("cannot measure: " + what + " did not succeed within " + START_TIMEOUT.toSeconds()
        + " s (last: " + (last == null ? "none" : last.why) + ")");
  }

  private static void close(List<Connection> conns) {
    for (Connection c : conns) {
      try {
        c.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    conns.clear();
  }

  private static Connection connect(String url, String name, NatsAuth auth, List<Connection> conns) throws Exception {
    Connection c = Nats.connect(NatsOptions.component(url, name, auth).build());
    conns.add(c);
    return c;
  }

  /** Rank → key index: a seeded shuffle, so popularity is not the key order. */
  static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  private static final Pattern GETS = Pattern.compile(
      "^cache_gets_total\\{([^}]*)\\}\\s+([0-9.eE+]+)", Pattern.MULTILINE);

  /** The gateway's own Caffeine hit and miss counts from /metrics (a cross-check, not the measure). */
  private static long[] gatewayGets(int httpPort) {
    long[] hm = new long[2];
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + httpPort + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      Matcher m = GETS.matcher(r.body());
      while (m.find()) {
        if (!m.group(1).contains("cloud-data")) {
          continue;
        }
        long v = (long) Double.parseDouble(m.group(2));
        if (m.group(1).contains("result=\"hit\"")) {
          hm[0] += v;
        } else if (m.group(1).contains("result=\"miss\"")) {
          hm[1] += v;
        }
      }
    } catch (Exception e) {
      // a cross-check only
    }
    return hm;
  }

  private static Histogram histogram() {
    return new Histogram(60_000_000L, 3);
  }

  private static ObjectNode pct(Histogram h) {
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("count", h.getTotalCount());
    o.put("p50", h.getValueAtPercentile(50));
    o.put("p90", h.getValueAtPercentile(90));
    o.put("p99", h.getValueAtPercentile(99));
    o.put("max", h.getMaxValue());
    return o;
  }

  private static double round4(double v) {
    return Math.round(v * 10_000) / 10_000.0;
  }

  private static ObjectNode settingsJson(Settings s) {
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    o.put("keys", s.keys());
    o.put("valueBytes", s.valueBytes());
    o.put("cacheItems", s.cacheItems());
    o.put("cacheMaxBytes", s.cacheMaxBytes());
    o.put("zipfExponent", s.exponent());
    o.put("linkRttMs", s.linkRtt().toMillis());
    o.put("seed", s.seed());
    return o;
  }

  private static ObjectNode linkJson(LinkEmulator link) {
    ObjectNode o = MessageCodec.mapper().createObjectNode();
    LinkEmulator.Counters c = link.counters();
    o.put("bytesEdgeToCloud", c.bytesUpstream());
    o.put("bytesCloudToEdge", c.bytesDownstream());
    return o;
  }
}
