package io.fogwise.cloud.history;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/** What the miner's ingestion reports: messages stored, rejected by reason, and redeliveries it had stored already. */
public interface HistoryMetrics {
  /** The {@code stream} tag of telemetry. */
  String TELEMETRY = "telemetry";
  /** The {@code stream} tag of events. */
  String EVENTS = "events";

  /** {@code n} messages of {@code stream} stored durably. */
  void stored(String stream, int n);

  /** One message of {@code stream} excluded as bad input. */
  void rejected(String stream, BadInput reason);

  /** One message of {@code stream} delivered again that this instance had stored already. */
  void redelivered(String stream);

  /** Reports nothing. */
  static HistoryMetrics noop() {
    return NoopHistoryMetrics.INSTANCE;
  }

  /**
   * Micrometer, on {@code registry}: {@code fogwise_miner_stored_total{stream}},
   * {@code fogwise_miner_rejected_total{stream,reason}} and
   * {@code fogwise_miner_redelivered_total{stream}}, tagged with the miner id.
   */
  static HistoryMetrics micrometer(MeterRegistry registry, String minerId) {
    return new MicrometerHistoryMetrics(Objects.requireNonNull(registry, "registry"),
        Objects.requireNonNull(minerId, "minerId"));
  }
}

final class NoopHistoryMetrics implements HistoryMetrics {
  static final NoopHistoryMetrics INSTANCE = new NoopHistoryMetrics();

  @Override
  public void stored(String stream, int n) {}

  @Override
  public void rejected(String stream, BadInput reason) {}

  @Override
  public void redelivered(String stream) {}
}

final class MicrometerHistoryMetrics implements HistoryMetrics {
  private final MeterRegistry registry;
  private final String minerId;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  MicrometerHistoryMetrics(MeterRegistry registry, String minerId) {
    this.registry = registry;
    this.minerId = minerId;
  }

  @Override
  public void stored(String stream, int n) {
    counter("fogwise_miner_stored", "history messages stored durably", stream, null).increment(n);
  }

  @Override
  public void rejected(String stream, BadInput reason) {
    counter("fogwise_miner_rejected", "history messages excluded as bad input", stream, reason).increment();
  }

  @Override
  public void redelivered(String stream) {
    counter("fogwise_miner_redelivered", "history messages delivered again after being stored (acknowledged, not"
        + " stored twice)", stream, null).increment();
  }

  private Counter counter(String name, String description, String stream, BadInput reason) {
    return counters.computeIfAbsent(name + "/" + stream + "/" + reason, k -> {
      Counter.Builder b = Counter.builder(name).description(description).tag("miner", minerId).tag("stream", stream);
      if (reason != null) {
        b.tag("reason", reason.tag());
      }
      return b.register(registry);
    });
  }
}
