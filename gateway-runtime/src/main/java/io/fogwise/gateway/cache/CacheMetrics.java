package io.fogwise.gateway.cache;

import com.github.benmanes.caffeine.cache.AsyncCache;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** What the cache reports: stale answers, cloud failures, load latency, and Caffeine's own statistics. */
public interface CacheMetrics {
  /** The {@code cache} tag of Caffeine's statistics ({@code cache_gets_total{cache="cloud-data"}} and the rest). */
  String CACHE_NAME = "cloud-data";

  /** One answer served from a copy the cloud could not refresh. */
  void staleServed();

  /** One cloud read that gave no usable answer. */
  void cloudFailure(CloudSource.Failure.Kind kind);

  /** One load or refresh from the cloud, with how it ended: {@code ok}, {@code not_found} or {@code failed}. */
  void loaded(String outcome, long nanos);

  /** Binds Caffeine's statistics (hits, misses, loads, evictions, size, weight). */
  void monitor(AsyncCache<String, ?> cache);

  /** Reports nothing (tests). */
  static CacheMetrics noop() {
    return NoopCacheMetrics.INSTANCE;
  }

  /**
   * Micrometer, on {@code registry}: {@code fogwise_cache_stale_answers_total},
   * {@code fogwise_cache_cloud_failures_total{reason}}, {@code fogwise_cache_load_seconds{outcome}}
   * and Micrometer's {@link CaffeineCacheMetrics} with {@code cache="cloud-data"}, all tagged with
   * the gateway id.
   */
  static CacheMetrics micrometer(MeterRegistry registry, String gatewayId) {
    return new MicrometerCacheMetrics(Objects.requireNonNull(registry, "registry"),
        Objects.requireNonNull(gatewayId, "gatewayId"));
  }
}

final class NoopCacheMetrics implements CacheMetrics {
  static final NoopCacheMetrics INSTANCE = new NoopCacheMetrics();

  @Override
  public void staleServed() {}

  @Override
  public void cloudFailure(CloudSource.Failure.Kind kind) {}

  @Override
  public void loaded(String outcome, long nanos) {}

  @Override
  public void monitor(AsyncCache<String, ?> cache) {}
}

final class MicrometerCacheMetrics implements CacheMetrics {
  private final MeterRegistry registry;
  private final String gatewayId;
  private final Counter stale;
  private final Map<String, Counter> failures = new ConcurrentHashMap<>();
  private final Map<String, Timer> loads = new ConcurrentHashMap<>();

  MicrometerCacheMetrics(MeterRegistry registry, String gatewayId) {
    this.registry = registry;
    this.gatewayId = gatewayId;
    this.stale = Counter.builder("fogwise_cache_stale_answers")
        .description("answers served from a cached copy the cloud could not refresh (stale-if-error)")
        .tag("gateway", gatewayId).register(registry);
  }

  @Override
  public void staleServed() {
    stale.increment();
  }

  @Override
  public void cloudFailure(CloudSource.Failure.Kind kind) {
    failures.computeIfAbsent(kind.tag(), tag -> Counter.builder("fogwise_cache_cloud_failures")
        .description("cloud reads with no usable answer, by reason (timeout, no_responders, disconnected, garbage,"
            + " error)")
        .tag("gateway", gatewayId).tag("reason", tag).register(registry)).increment();
  }

  @Override
  public void loaded(String outcome, long nanos) {
    loads.computeIfAbsent(outcome, o -> Timer.builder("fogwise_cache_load")
        .description("loads and refreshes from the cloud, request to answer")
        .tag("gateway", gatewayId).tag("outcome", o).register(registry)).record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void monitor(AsyncCache<String, ?> cache) {
    CaffeineCacheMetrics.monitor(registry, cache, CACHE_NAME, Tags.of("gateway", gatewayId));
  }
}
