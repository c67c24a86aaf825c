package io.fogwise.gateway.cache;

import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The gateway's cache of cloud data: items read from the cloud service once and served to the
 * gateway's devices, refreshed ahead of expiry, invalidated when the cloud announces a change,
 * and served stale (saying so, and how old) when the cloud cannot be reached.
 *
 * <p>Reads never block: {@link #read} returns at once and completes on the cache's executor.
 */
public interface CloudCache extends AutoCloseable {

  /** How a read ended. */
  enum Outcome {
    /** A copy within its freshness limit. */
    FRESH,
    /** A copy the cloud could not refresh, within the maximum staleness ({@code stale} and {@code ageMs} say so). */
    STALE,
    /** The cloud has no item with this key. */
    NOT_FOUND,
    /** The cloud did not answer (timeout, nobody listening, link down), and no usable copy. */
    CLOUD_UNREACHABLE,
    /** The cloud answered garbage or an error, and no usable copy. */
    CLOUD_ERROR
  }

  /** One answer: the reply as devices get it over NATS, and how it came about. */
  record Read(DataReply reply, Outcome outcome) {
    public Read {
      Objects.requireNonNull(reply, "reply");
      Objects.requireNonNull(outcome, "outcome");
    }
  }

  /**
   * Reads {@code key}: from the cache when fresh; else from the cloud (concurrent reads of one key
   * share one cloud request); else, if the cloud fails, the last copy marked stale if it is not
   * older than the maximum staleness. The future never fails.
   *
   * @throws io.fogwise.protocol.ProtocolViolation when {@code key} is not a valid {@link DataItem#key}
   */
  CompletableFuture<Read> read(String key);

  /**
   * The cloud changed an item: a PUT of a newer version makes the cached copy unusable as fresh
   * (the next read goes to the cloud; the old copy stays only as the stale-if-error fallback); a
   * DELETE removes it.
   */
  void changed(DataChange change);

  /**
   * In the background: puts the copies the warm store kept into the cache (with their original
   * load time), then revalidates the ones due with the cloud. Completes with how many were put;
   * never fails (a warm start is an optimisation).
   */
  CompletableFuture<Integer> warmStart();

  /** In the background: saves the hottest keys (and values, within the byte bound) to the warm store. */
  CompletableFuture<Integer> persist();

  /** Cached entries (including not-found answers) right now. */
  long size();

  /** Saves what it holds (waiting a few seconds at most) and stops its threads. */
  @Override
  void close();

  /**
   * A cache loading from {@code cloud}, with Caffeine's ticker on {@code clock}.
   *
   * @param executor where Caffeine's maintenance and the completion of reads run (never the
   *     event loop or the decision thread); null for a pool of the cache's own
   * @param storeExecutor where warm-store I/O runs; null for a thread of the cache's own
   */
  static CloudCache create(Settings settings, CloudSource cloud, WarmStore store, CacheMetrics metrics, Clock clock,
      Executor executor, Executor storeExecutor) {
    return new CaffeineCloudCache(Objects.requireNonNull(settings, "settings"), Objects.requireNonNull(cloud, "cloud"),
        Objects.requireNonNull(store, "store"), Objects.requireNonNull(metrics, "metrics"),
        Objects.requireNonNull(clock, "clock"), executor, storeExecutor);
  }

  /** Immutable cache settings; {@link #DEFAULT} or {@link #builder()}. */
  final class Settings {
    /** Total bytes of cached values (plus key lengths) before the least valuable entries are evicted. */
    public static final long DEFAULT_MAX_BYTES = 64L << 20;
    /** How long a copy counts as fresh; after that a read asks the cloud first. */
    public static final Duration DEFAULT_EXPIRE_AFTER_WRITE = Duration.ofMinutes(5);
    /** A copy read this long after it was loaded is refreshed in the background (refresh-ahead). */
    public static final Duration DEFAULT_REFRESH_AFTER_WRITE = Duration.ofSeconds(30);
    /** The oldest copy served stale when the cloud cannot be reached; older copies are dropped. */
    public static final Duration DEFAULT_MAX_STALE = Duration.ofHours(1);
    /** How long a cloud read may take: a device waits at most this long for a miss. */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** How long the cloud's "not found" is remembered (a PUT announcement ends it sooner). */
    public static final Duration DEFAULT_NOT_FOUND_TTL = Duration.ofSeconds(10);
    /**
     * After a cloud read failed, stale answers are given at once, without asking the cloud again,
     * for this long: devices do not each wait out a timeout while the cloud is down.
     */
    public static final Duration DEFAULT_RETRY_AFTER_FAILURE = Duration.ofSeconds(5);
    /** At most this many keys are saved for a warm start (the hottest). */
    public static final int DEFAULT_WARM_MAX_KEYS = 10_000;
    /** At most this many bytes of values are saved for a warm start; the rest are saved as keys only. */
    public static final long DEFAULT_WARM_MAX_BYTES = 16L << 20;
    /** How often the warm-start copy is saved (also on a clean stop). */
    public static final Duration DEFAULT_PERSIST_INTERVAL = Duration.ofSeconds(30);

    public static final Settings DEFAULT = builder().build();

    private final long maxBytes;
    private final Duration expireAfterWrite;
    private final Duration refreshAfterWrite;
    private final Duration maxStale;
    private final Duration requestTimeout;
    private final Duration notFoundTtl;
    private final Duration retryAfterFailure;
    private final int warmMaxKeys;
    private final long warmMaxBytes;
    private final Duration persistInterval;

    private Settings(Builder b) {
      this.maxBytes = b.maxBytes;
      this.expireAfterWrite = b.expireAfterWrite;
      this.refreshAfterWrite = b.refreshAfterWrite;
      this.maxStale = b.maxStale;
      this.requestTimeout = b.requestTimeout;
      this.notFoundTtl = b.notFoundTtl;
      this.retryAfterFailure = b.retryAfterFailure;
      this.warmMaxKeys = b.warmMaxKeys;
      this.warmMaxBytes = b.warmMaxBytes;
      this.persistInterval = b.persistInterval;
    }

    public static Builder builder() {
      return new Builder();
    }

    public long maxBytes() { return maxBytes; }
    public Duration expireAfterWrite() { return expireAfterWrite; }
    public Duration refreshAfterWrite() { return refreshAfterWrite; }
    public Duration maxStale() { return maxStale; }
    public Duration requestTimeout() { return requestTimeout; }
    public Duration notFoundTtl() { return notFoundTtl; }
    public Duration retryAfterFailure() { return retryAfterFailure; }
    public int warmMaxKeys() { return warmMaxKeys; }
    public long warmMaxBytes() { return warmMaxBytes; }
    public Duration persistInterval() { return persistInterval; }

    @Override
    public String toString() {
      return "cache " + (maxBytes >> 20) + " MiB, fresh " + expireAfterWrite + ", refresh after " + refreshAfterWrite
          + ", stale up to " + maxStale + ", cloud timeout " + requestTimeout;
    }

    /** Builds {@link Settings}; every value is checked here. */
    public static final class Builder {
      private long maxBytes = DEFAULT_MAX_BYTES;
      private Duration expireAfterWrite = DEFAULT_EXPIRE_AFTER_WRITE;
      private Duration refreshAfterWrite = DEFAULT_REFRESH_AFTER_WRITE;
      private Duration maxStale = DEFAULT_MAX_STALE;
      private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
      private Duration notFoundTtl = DEFAULT_NOT_FOUND_TTL;
      private Duration retryAfterFailure = DEFAULT_RETRY_AFTER_FAILURE;
      private int warmMaxKeys = DEFAULT_WARM_MAX_KEYS;
      private long warmMaxBytes = DEFAULT_WARM_MAX_BYTES;
      private Duration persistInterval = DEFAULT_PERSIST_INTERVAL;

      private Builder() {}

      public Builder maxBytes(long v) {
        if (v < 1) {
          throw new IllegalArgumentException("cache maxBytes must be > 0, got " + v);
        }
        this.maxBytes = v;
        return this;
      }

      public Builder expireAfterWrite(Duration v) { this.expireAfterWrite = positive(v, "expireAfterWrite"); return this; }
      public Builder refreshAfterWrite(Duration v) { this.refreshAfterWrite = positive(v, "refreshAfterWrite"); return this; }
      public Builder maxStale(Duration v) { this.maxStale = positive(v, "maxStale"); return this; }
      public Builder requestTimeout(Duration v) { this.requestTimeout = positive(v, "requestTimeout"); return this; }
      /** Zero: the cloud's "not found" is not remembered at all. */
      public Builder notFoundTtl(Duration v) {
        if (v == null || v.isNegative()) {
          throw new IllegalArgumentException("cache notFoundTtl must be >= 0, got " + v);
        }
        this.notFoundTtl = v;
        return this;
      }
      public Builder retryAfterFailure(Duration v) { this.retryAfterFailure = positive(v, "retryAfterFailure"); return this; }
      public Builder persistInterval(Duration v) { this.persistInterval = positive(v, "persistInterval"); return this; }

      public Builder warmMaxKeys(int v) {
        if (v < 0) {
          throw new IllegalArgumentException("cache warmMaxKeys must be >= 0, got " + v);
        }
        this.warmMaxKeys = v;
        return this;
      }

      public Builder warmMaxBytes(long v) {
        if (v < 0) {
          throw new IllegalArgumentException("cache warmMaxBytes must be >= 0, got " + v);
        }
        this.warmMaxBytes = v;
        return this;
      }

      public Settings build() {
        if (refreshAfterWrite.compareTo(expireAfterWrite) >= 0) {
          throw new IllegalArgumentException("cache refreshAfterWrite (" + refreshAfterWrite
              + ") must be shorter than expireAfterWrite (" + expireAfterWrite + "), or nothing is refreshed ahead");
        }
        if (maxStale.compareTo(expireAfterWrite) < 0) {
          throw new IllegalArgumentException("cache maxStale (" + maxStale + ") must be at least expireAfterWrite ("
              + expireAfterWrite + ")");
        }
        return new Settings(this);
      }

      private static Duration positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("cache " + name + " must be > 0, got " + d);
        }
        return d;
      }
    }
  }
}
