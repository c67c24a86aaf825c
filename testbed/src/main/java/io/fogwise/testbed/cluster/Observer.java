package io.fogwise.testbed.cluster;

import io.fogwise.edge.services.SequenceTracker;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.GatewayStatus;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.SubscriberStats;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;

/**
 * Watches a running cluster from the outside, with its own NATS subscriptions and its own
 * clock: gateway events, gateway status, subscriber reports, and one application data subject
 * whose messages it accounts for itself. The demo and the benchmarks measure with this, never
 * with what components say about themselves.
 */
public final class Observer implements AutoCloseable {
  private final Connection nats;
  private final Dispatcher dispatcher;
  private final List<Received<AdaptationEvent>> events = new ArrayList<>();
  private final Map<String, GatewayStatus> status = new HashMap<>();
  private final Map<String, SubscriberStats> stats = new HashMap<>();
  private final SequenceTracker tracker = new SequenceTracker();
  private final Map<Long, EpochSeen> epochs = new HashMap<>();
  private final Histogram latencyMicros = new Histogram(60_000_000L, 3);
  private final AtomicLong rejected = new AtomicLong();
  private volatile Consumer<AdaptationEvent> onEvent = e -> {};
  private volatile boolean recordEvents = true;

  /** What the observer saw of one publisher epoch. */
  public record EpochSeen(long epoch, String publisherId, long firstNanos, long lastNanos, long count, long firstNumber,
      long lastNumber) {}

  /** A message with the observer's receive time (System.nanoTime). */
  public record Received<T>(T message, long nanos) {}

  public Observer(Connection nats, String dataSubject) {
    this.nats = nats;
    this.dispatcher = nats.createDispatcher();
    dispatcher.subscribe("fw.ev.>", msg -> {
      long now = System.nanoTime();
      try {
        AdaptationEvent e = MessageCodec.decode(msg.getData(), AdaptationEvent.class);
        if (recordEvents) {
          synchronized (this) {
            events.add(new Received<>(e, now));
            notifyAll();
          }
        }
        onEvent.accept(e);
      } catch (RejectedMessageException ex) {
        rejected.incrementAndGet();
      }
    });
    dispatcher.subscribe("fw.gw.*.status", msg -> {
      try {
        GatewayStatus s = MessageCodec.decode(msg.getData(), GatewayStatus.class);
        synchronized (this) {
          status.put(s.gatewayId(), s);
          notifyAll();
        }
      } catch (RejectedMessageException ex) {
        rejected.incrementAndGet();
      }
    });
    dispatcher.subscribe("fw.stats.>", msg -> {
      try {
        SubscriberStats s = MessageCodec.decode(msg.getData(), SubscriberStats.class);
        synchronized (this) {
          stats.put(s.service() + "@" + s.subscriberId(), s);
        }
      } catch (RejectedMessageException ex) {
        rejected.incrementAndGet();
      }
    });
    if (dataSubject != null) {
      dispatcher.subscribe(dataSubject, msg -> {
        long now = System.nanoTime();
        long wallNanos = wallNanos();
        try {
          AppMessage m = MessageCodec.decode(msg.getData(), AppMessage.class);
          synchronized (this) {
            if (tracker.record(m.epoch(), m.number()) == SequenceTracker.Outcome.ACCEPTED) {
              long lat = Math.max(0, (wallNanos - m.epochNanos()) / 1000);
              latencyMicros.recordValue(Math.min(lat, latencyMicros.getHighestTrackableValue()));
              epochs.merge(m.epoch(), new EpochSeen(m.epoch(), m.publisherId(), now, now, 1, m.number(), m.number()),
                  (a, b) -> new EpochSeen(a.epoch(), a.publisherId(), a.firstNanos(), now, a.count() + 1, a.firstNumber(),
                      Math.max(a.lastNumber(), m.number())));
            }
            notifyAll();
          }
        } catch (RejectedMessageException ex) {
          rejected.incrementAndGet();
        }
      });
    }
  }

  private static long wallNanos() {
    java.time.Instant i = java.time.Instant.now();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /**
   * Whether events are kept for {@link #events()} and {@link #awaitEvent} (the default). A load
   * benchmark that sees millions of events counts them itself and turns this off.
   */
  public void recordEvents(boolean record) {
    this.recordEvents = record;
  }

  /** Calls {@code listener} for every event, on the NATS dispatcher thread. */
  public void onEvent(Consumer<AdaptationEvent> listener) {
    this.onEvent = listener;
  }

  /** Waits for the first event (seen from index {@code from}) matching {@code p}. */
  public synchronized Optional<Received<AdaptationEvent>> awaitEvent(int from, Predicate<AdaptationEvent> p,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int i = from;
    while (true) {
      for (; i < events.size(); i++) {
        if (p.test(events.get(i).message())) {
          return Optional.of(events.get(i));
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      wait(Math.max(1, left / 1_000_000L));
    }
  }

  /** Number of events seen so far (an index for {@link #awaitEvent}). */
  public synchronized int eventCount() {
    return events.size();
  }

  /** Events seen so far. */
  public synchronized List<Received<AdaptationEvent>> events() {
    return List.copyOf(events);
  }

  /** Waits until {@code p} holds for the observer's data accounting. */
  public synchronized boolean awaitData(Predicate<Observer> p, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!p.test(this)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000L));
    }
    return true;
  }

  /** Waits for a status report of {@code gatewayId} satisfying {@code p}. */
  public synchronized Optional<GatewayStatus> awaitStatus(String gatewayId, Predicate<GatewayStatus> p,
      Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      GatewayStatus s = status.get(gatewayId);
      if (s != null && p.test(s)) {
        return Optional.of(s);
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Optional.empty();
      }
      wait(Math.max(1, left / 1_000_000L));
    }
  }

  public synchronized long received() {
    return tracker.received();
  }

  public synchronized long gaps() {
    return tracker.gaps();
  }

  public synchronized long missing() {
    return tracker.missing();
  }

  public synchronized long duplicates() {
    return tracker.duplicates();
  }

  public synchronized long staleEpoch() {
    return tracker.staleEpoch();
  }

  /** The highest epoch seen on the data subject, -1 if none. */
  public synchronized long currentEpoch() {
    return tracker.epoch();
  }

  public synchronized Optional<EpochSeen> epoch(long epoch) {
    return Optional.ofNullable(epochs.get(epoch));
  }

  /** A copy of the latency histogram (microseconds). */
  public synchronized Histogram latency() {
    return latencyMicros.copy();
  }

  /** Latest report of every subscriber, keyed {@code service@device}. */
  public synchronized Map<String, SubscriberStats> subscriberStats() {
    return Map.copyOf(stats);
  }

  public long rejected() {
    return rejected.get();
  }

  @Override
  public void close() {
    try {
      nats.closeDispatcher(dispatcher);
    } catch (RuntimeException ignored) {
      // connection already closed
    }
  }
}
