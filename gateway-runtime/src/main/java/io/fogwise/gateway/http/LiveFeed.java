package io.fogwise.gateway.http;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What the dashboard's server-sent event stream carries: every adaptation event the gateway
 * emits, as it emits it, and once per {@link #RATES_INTERVAL} the heartbeats that arrived since
 * the last sample. The gateway feeds it; each subscriber is told on the thread that feeds it and
 * must hand the item on to its own context.
 */
public interface LiveFeed {
  /**
   * How often heartbeat rates are sampled: once a second is as fine as a chart a person reads
   * needs, and costs one message per open dashboard per second.
   */
  Duration RATES_INTERVAL = Duration.ofSeconds(1);

  /** A heartbeat rate sample: {@code heartbeats} arrived in the {@code intervalMs} before {@code atMillis}. */
  record Rates(long atMillis, long intervalMs, long heartbeats) {}

  /** Passes {@code event} to every subscriber. */
  void event(AdaptationEvent event);

  /** Counts one heartbeat taken in (any thread). */
  void heartbeat();

  /** Passes the heartbeats counted since the last sample to every subscriber; called every {@link #RATES_INTERVAL}. */
  void sampleRates();

  /** Tells {@code events} and {@code rates} what is fed from now on, until the returned handle is run. */
  Runnable subscribe(Consumer<AdaptationEvent> events, Consumer<Rates> rates);

  /** A feed reading wall time from {@code clock}. */
  static LiveFeed create(Clock clock) {
    return new FanOutFeed(clock);
  }

  /** A feed that carries nothing (no dashboard stream: its subscribers see only what they read). */
  static LiveFeed none() {
    return new FanOutFeed(Clock.system());
  }
}

final class FanOutFeed implements LiveFeed {
  private final Clock clock;
  private final AtomicLong heartbeats = new AtomicLong();
  private final CopyOnWriteArrayList<Map.Entry<Consumer<AdaptationEvent>, Consumer<Rates>>> subscribers =
      new CopyOnWriteArrayList<>();
  private long lastSampleMillis;

  FanOutFeed(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lastSampleMillis = clock.millis();
  }

  @Override
  public void event(AdaptationEvent event) {
    for (var s : subscribers) {
      s.getKey().accept(event);
    }
  }

  @Override
  public void heartbeat() {
    heartbeats.incrementAndGet();
  }

  @Override
  public synchronized void sampleRates() {
    long now = clock.millis();
    Rates r = new Rates(clock.wallMillis(), Math.max(0, now - lastSampleMillis), heartbeats.getAndSet(0));
    lastSampleMillis = now;
    for (var s : subscribers) {
      s.getValue().accept(r);
    }
  }

  @Override
  public Runnable subscribe(Consumer<AdaptationEvent> events, Consumer<Rates> rates) {
    var entry = Map.entry(Objects.requireNonNull(events, "events"), Objects.requireNonNull(rates, "rates"));
    subscribers.add(entry);
    return () -> subscribers.remove(entry);
  }

  int subscribers() {
    return subscribers.size();
  }
}
