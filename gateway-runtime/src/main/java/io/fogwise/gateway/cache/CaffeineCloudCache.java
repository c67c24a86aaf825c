package io.fogwise.gateway.cache;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link CloudCache} on a Caffeine {@link AsyncLoadingCache}.
 *
 * <p>Caffeine's expiry is the <em>maximum staleness</em> (an entry is dropped once it could no
 * longer be served even stale); freshness ({@code expireAfterWrite}) is judged on read from the
 * entry's own load time. That is what lets a copy outlive its freshness as the stale-if-error
 * fallback. A failed refresh writes the old copy back, marked with the failure, so its load
 * time (and so its age and its expiry) stays the original, and the refresh-ahead timer starts
 * over (one cloud attempt per {@code refreshAfterWrite} per key while the cloud is down).
 */
final class CaffeineCloudCache implements CloudCache {
  private static final Logger LOG = LoggerFactory.getLogger(CaffeineCloudCache.class);
  /** Reads that find a copy superseded or too old ask the cloud at most this many times. */
  private static final int MAX_CLOUD_ATTEMPTS = 2;
  /** Warm entries revalidated with the cloud at once after a warm start. */
  private static final int WARM_REVALIDATIONS = 4;
  /** How long {@link #close} waits for the last save. */
  private static final long CLOSE_SAVE_SECONDS = 5;

  /** What the cache holds for a key. */
  enum Kind { VALUE, NOT_FOUND, FAILED_LOAD }

  /**
   * One cached answer.
   *
   * @param item the item (VALUE only)
   * @param loadedAtNanos when the cloud gave it, on the clock's monotonic time
   * @param loadedAtMillis the same instant on the wall clock (survives a restart)
   * @param supersededBy a newer version the cloud announced (0: none): not fresh any more
   * @param failure the last cloud failure refreshing it (or, FAILED_LOAD, loading it); null: none
   * @param failedAtNanos when that failure happened
   */
  record Entry(Kind kind, DataItem item, long loadedAtNanos, long loadedAtMillis, long supersededBy,
      CloudSource.Failure failure, long failedAtNanos) {

    static Entry value(DataItem item, long nanos, long millis) {
      return new Entry(Kind.VALUE, item, nanos, millis, 0, null, 0);
    }

    static Entry notFound(long nanos, long millis) {
      return new Entry(Kind.NOT_FOUND, null, nanos, millis, 0, null, 0);
    }

    static Entry failedLoad(CloudSource.Failure f, long nanos) {
      return new Entry(Kind.FAILED_LOAD, null, nanos, 0, 0, f, nanos);
    }

    Entry failed(CloudSource.Failure f, long nanos) {
      return new Entry(kind, item, loadedAtNanos, loadedAtMillis, supersededBy, f, nanos);
    }

    Entry superseded(long version) {
      return new Entry(kind, item, loadedAtNanos, loadedAtMillis, version, failure, failedAtNanos);
    }

    int weight(String key) {
      return kind == Kind.VALUE ? key.length() + item.value().length : key.length();
    }
  }

  private final CloudCache.Settings settings;
  private final CloudSource cloud;
  private final WarmStore store;
  private final CacheMetrics metrics;
  private final Clock clock;
  private final Executor executor;
  private final Executor storeExecutor;
  private final List<ExecutorService> owned = new ArrayList<>();
  private final AsyncLoadingCache<String, Entry> cache;
  private final long freshNanos;
  private final long maxStaleNanos;
  private final long notFoundNanos;
  private final long retryNanos;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** How many saved copies the last warm start put into the cache. */
  private volatile int warmPut;

  CaffeineCloudCache(CloudCache.Settings settings, CloudSource cloud, WarmStore store, CacheMetrics metrics,
      Clock clock, Executor executor, Executor storeExecutor) {
    this.settings = settings;
    this.cloud = cloud;
    this.store = store;
    this.metrics = metrics;
    this.clock = clock;
    this.executor = executor != null ? executor : own(Executors.newFixedThreadPool(2, threads("fogwise-cache")));
    this.storeExecutor = storeExecutor != null ? storeExecutor
        : own(Executors.newSingleThreadExecutor(threads("fogwise-cache-store")));
    this.freshNanos = settings.expireAfterWrite().toNanos();
    this.maxStaleNanos = settings.maxStale().toNanos();
    this.notFoundNanos = settings.notFoundTtl().toNanos();
    this.retryNanos = settings.retryAfterFailure().toNanos();
    this.cache = Caffeine.newBuilder()
        .ticker(clock::nanos)
        .executor(this.executor)
        .maximumWeight(settings.maxBytes())
        .weigher((String key, Entry e) -> e.weight(key))
        .expireAfter(new StaleLimit())
        .refreshAfterWrite(settings.refreshAfterWrite())
        .recordStats()
        .buildAsync(new Loader());
    metrics.monitor(cache);
  }

  private ExecutorService own(ExecutorService e) {
    owned.add(e);
    return e;
  }

  private static java.util.concurrent.ThreadFactory threads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** Caffeine's expiry: how long an entry may still be served at all, from its original load time. */
  private final class StaleLimit implements Expiry<String, Entry> {
    @Override
    public long expireAfterCreate(String key, Entry e, long now) {
      return remaining(e, now);
    }

    @Override
    public long expireAfterUpdate(String key, Entry e, long now, long current) {
      return remaining(e, now);
    }

    @Override
    public long expireAfterRead(String key, Entry e, long now, long current) {
      return current;
    }

    private long remaining(Entry e, long now) {
      return switch (e.kind()) {
        case VALUE -> Math.max(0, e.loadedAtNanos() + maxStaleNanos - now);
        case NOT_FOUND -> Math.max(0, e.loadedAtNanos() + notFoundNanos - now);
        case FAILED_LOAD -> 0; // answers the reads waiting for it, then a next read asks again
      };
    }
  }

  /** Loads and refreshes from the cloud; never fails, a failure becomes an entry. */
  private final class Loader implements AsyncCacheLoader<String, Entry> {
    @Override
    public CompletableFuture<Entry> asyncLoad(String key, Executor ignored) {
      return fetch(key).thenApply(r -> r.entry != null ? r.entry : Entry.failedLoad(r.failure, r.at));
    }

    @Override
    public CompletableFuture<Entry> asyncReload(String key, Entry old, Executor ignored) {
      return fetch(key).thenApply(r -> {
        if (r.entry != null) {
          return r.entry;
        }
        // keep the old copy (with its own load time) as the stale-if-error fallback
        return old.kind() == Kind.FAILED_LOAD ? Entry.failedLoad(r.failure, r.at) : old.failed(r.failure, r.at);
      });
    }
  }

  /** A cloud answer as an entry, or the failure. */
  private record Fetched(Entry entry, CloudSource.Failure failure, long at) {}

  private CompletableFuture<Fetched> fetch(String key) {
    long start = clock.nanos();
    CompletableFuture<DataReply> asked;
    try {
      asked = cloud.fetch(key);
    } catch (RuntimeException e) {
      asked = CompletableFuture.failedFuture(e);
    }
    // decode and bookkeeping on the cache's executor, not the NATS thread that completed the request
    return asked.handleAsync((reply, err) -> {
      long now = clock.nanos();
      if (err != null) {
        CloudSource.Failure f = CloudSource.Failure.of(err);
        metrics.cloudFailure(f.kind());
        metrics.loaded("failed", now - start);
        LOG.debug("cloud read of '{}' failed: {}", key, f.getMessage());
        return new Fetched(null, f, now);
      }
      if (reply.item() == null) {
        metrics.loaded("not_found", now - start);
        return new Fetched(Entry.notFound(now, clock.wallMillis()), null, now);
      }
      metrics.loaded("ok", now - start);
      return new Fetched(Entry.value(reply.item(), now, clock.wallMillis()), null, now);
    }, executor);
  }

  @Override
  public CompletableFuture<Read> read(String key) {
    DataItem.key(key, "key");
    return read(key, 0);
  }

  private CompletableFuture<Read> read(String key, int attempt) {
    CompletableFuture<Entry> got;
    try {
      got = cache.get(key);
    } catch (RuntimeException e) {
      got = CompletableFuture.failedFuture(e);
    }
    return got.handle((e, err) -> err != null
            ? Entry.failedLoad(CloudSource.Failure.of(err), clock.nanos()) : e)
        .thenCompose(e -> answer(key, e, attempt));
  }

  private CompletableFuture<Read> answer(String key, Entry e, int attempt) {
    long now = clock.nanos();
    switch (e.kind()) {
      case NOT_FOUND:
        return CompletableFuture.completedFuture(new Read(DataReply.notFound(key), Outcome.NOT_FOUND));
      case FAILED_LOAD:
        return CompletableFuture.completedFuture(failed(key, e.failure(), null));
      default:
        break;
    }
    long age = Math.max(0, now - e.loadedAtNanos());
    if (e.supersededBy() == 0 && age <= freshNanos) {
      return CompletableFuture.completedFuture(new Read(DataReply.found(e.item(), false, millis(age)), Outcome.FRESH));
    }
    boolean recentlyFailed = e.failure() != null && now - e.failedAtNanos() < retryNanos;
    if (!recentlyFailed && attempt < MAX_CLOUD_ATTEMPTS) {
      // superseded or past freshness: ask the cloud (sharing a refresh already in flight), then look again,
      // since a refresh that raced with a change announcement is discarded by Caffeine
      return cache.synchronous().refresh(key)
          .handle((r, x) -> null)
          .thenCompose(x -> read(key, attempt + 1));
    }
    if (age <= maxStaleNanos) {
      metrics.staleServed();
      return CompletableFuture.completedFuture(new Read(DataReply.found(e.item(), true, millis(age)), Outcome.STALE));
    }
    return CompletableFuture.completedFuture(failed(key, e.failure(), age));
  }

  private Read failed(String key, CloudSource.Failure f, Long staleAge) {
    String why = f == null ? "the cloud did not refresh it" : f.getMessage();
    String copy = staleAge == null ? "" : "; the last copy is " + millis(staleAge) / 1000 + " s old, over the maximum"
        + " staleness of " + settings.maxStale().toSeconds() + " s";
    Outcome outcome = f == null || f.kind().unreachable() ? Outcome.CLOUD_UNREACHABLE : Outcome.CLOUD_ERROR;
    return new Read(DataReply.error(key, "cloud data '" + key + "' unavailable: " + why + copy), outcome);
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  @Override
  public void changed(DataChange change) {
    String key = change.key();
    if (change.op() == DataChange.Op.DELETE) {
      cache.synchronous().invalidate(key);
      return;
    }
    cache.asMap().computeIfPresent(key, (k, f) -> {
      Entry e = f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
      if (e == null || e.kind() != Kind.VALUE) {
        return null; // a load in flight may bring the old version; a not-found is wrong now
      }
      if (e.item().version() >= change.version() || e.supersededBy() >= change.version()) {
        return f; // already as new (a late or repeated announcement)
      }
      return CompletableFuture.completedFuture(e.superseded(change.version()));
    });
  }

  @Override
  public CompletableFuture<Integer> warmStart() {
    return CompletableFuture.supplyAsync(this::putWarm, storeExecutor)
        .exceptionally(err -> {
          LOG.warn("cache warm start skipped: cannot read the saved copy ({}); items load from the cloud as read",
              String.valueOf(err.getCause() != null ? err.getCause().getMessage() : err.getMessage()));
          return List.of();
        })
        .thenApply(due -> {
          Queue<String> queue = new ConcurrentLinkedQueue<>(due);
          AtomicBoolean stop = new AtomicBoolean();
          for (int i = 0; i < WARM_REVALIDATIONS; i++) {
            revalidate(queue, stop);
          }
          return warmPut;
        });
  }

  /** Puts the saved copies; returns the keys to revalidate with the cloud (old copies, keys without value). */
  private List<String> putWarm() {
    List<WarmStore.Saved> saved;
    try {
      saved = store.load();
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
    long nowNanos = clock.nanos();
    long nowMillis = clock.wallMillis();
    List<String> due = new ArrayList<>();
    int put = 0;
    for (WarmStore.Saved s : saved) {
      long ageNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, nowMillis - s.loadedAtMillis()));
      if (s.item() == null || ageNanos > maxStaleNanos) {
        due.add(s.key());
        continue;
      }
      Entry e = Entry.value(s.item(), nowNanos - ageNanos, s.loadedAtMillis());
      if (cache.asMap().putIfAbsent(s.key(), CompletableFuture.completedFuture(e)) == null) {
        put++;
        if (ageNanos >= settings.refreshAfterWrite().toNanos()) {
          due.add(s.key());
        }
      }
    }
    warmPut = put;
    if (!saved.isEmpty()) {
      LOG.info("cache warm start: {} of {} saved items restored, {} to load or revalidate from the cloud",
          put, saved.size(), due.size());
    }
    return due;
  }

  /** Refreshes queued keys one after another; stops at the first sign that the cloud is unreachable. */
  private void revalidate(Queue<String> queue, AtomicBoolean stop) {
    String key = queue.poll();
    if (key == null || stop.get() || closed.get()) {
      return;
    }
    cache.synchronous().refresh(key).whenComplete((e, err) -> {
      CloudSource.Failure f = err != null ? CloudSource.Failure.of(err) : e == null ? null : e.failure();
      if (f != null && f.kind().unreachable()) {
        if (stop.compareAndSet(false, true)) {
          LOG.info("cache warm start: the cloud is unreachable ({}); restored copies are served (stale once old)"
              + " until it answers", f.getMessage());
        }
        return;
      }
      revalidate(queue, stop);
    });
  }

  @Override
  public CompletableFuture<Integer> persist() {
    return CompletableFuture.supplyAsync(() -> {
      List<WarmStore.Saved> out = snapshot();
      try {
        store.save(out);
      } catch (Exception e) {
        LOG.warn("cache warm-start copy not saved ({}); retried in {} s", e.getMessage(),
            settings.persistInterval().toSeconds());
        return 0;
      }
      return out.size();
    }, storeExecutor);
  }

  /** The hottest values first, values within the byte bound, keys only beyond it. */
  private List<WarmStore.Saved> snapshot() {
    Map<String, Entry> hottest = cache.synchronous().policy().eviction().orElseThrow()
        .hottest(settings.warmMaxKeys());
    List<WarmStore.Saved> out = new ArrayList<>(hottest.size());
    long bytes = 0;
    for (Map.Entry<String, Entry> m : hottest.entrySet()) {
      Entry e = m.getValue();
      if (e.kind() != Kind.VALUE) {
        continue;
      }
      long size = e.item().value().length;
      boolean withValue = bytes + size <= settings.warmMaxBytes();
      if (withValue) {
        bytes += size;
      }
      out.add(new WarmStore.Saved(m.getKey(), withValue ? e.item() : null, e.loadedAtMillis()));
    }
    return out;
  }

  @Override
  public long size() {
    return cache.synchronous().estimatedSize();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      persist().get(CLOSE_SAVE_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.warn("cache warm-start copy not saved on stop: {}", e.toString());
    }
    owned.forEach(ExecutorService::shutdownNow);
  }
}
