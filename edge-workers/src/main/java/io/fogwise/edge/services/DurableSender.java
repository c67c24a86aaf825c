package io.fogwise.edge.services;

import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.time.Clock;
import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A durable publisher's JetStream side: hands each numbered message to JetStream with its
 * message id, keeps at most {@link #MAX_IN_FLIGHT} unacknowledged, and re-sends a message with
 * the same id when its acknowledgement fails or does not come within {@link #ACK_TIMEOUT}, so a
 * message handed to a hub that restarts is stored once it is back, and never twice.
 *
 * <p>Used from the publisher's thread only; acknowledgements arrive on NATS threads and are
 * only queued for {@link #poll()}. The counters are readable from any thread.
 */
final class DurableSender {
  /** Unacknowledged messages at most: ≈ 2.5 s at 100 Hz, so a hub restart does not stop a publisher at once. */
  static final int MAX_IN_FLIGHT = 256;
  /** A message not acknowledged within this is sent again: a hub restart takes longer, a healthy ack ≈ 1 ms. */
  static final Duration ACK_TIMEOUT = Duration.ofSeconds(2);
  /**
   * After a refused or failed send, the wait before the next: the connection's reconnect wait,
   * doubled after each failure of the same message up to {@link #ACK_TIMEOUT}, so a missing
   * stream costs the hub ≈ {@code MAX_IN_FLIGHT / 2} futile publishes per second, not thousands.
   */
  static final Duration RETRY_DELAY = Duration.ofMillis(250);
  /** Least time between two warnings about failing sends. */
  private static final long WARN_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static final Logger LOG = LoggerFactory.getLogger(DurableSender.class);

  private final JetStream js;
  private final String subject;
  private final String stream;
  private final String who;
  private final Clock clock;
  /** By number; the order of last sending (a re-send moves a message to the end). */
  private final Map<Long, Pending> pending = new LinkedHashMap<>();
  private final ConcurrentLinkedQueue<Done> done = new ConcurrentLinkedQueue<>();
  private final AtomicLong acknowledged = new AtomicLong();
  private final AtomicLong resent = new AtomicLong();
  private final AtomicLong duplicateAcks = new AtomicLong();
  private volatile int inFlight;
  private long lastWarnNanos = Long.MIN_VALUE;

  /** One message handed to JetStream and not yet acknowledged. */
  private static final class Pending {
    final long number;
    final String id;
    final byte[] data;
    int attempt;
    int failures;
    long dueNanos;
    CompletableFuture<PublishAck> future;

    Pending(long number, String id, byte[] data) {
      this.number = number;
      this.id = id;
      this.data = data;
    }
  }

  /** The outcome of one attempt. */
  private record Done(long number, int attempt, PublishAck ack, Throwable error) {}

  DurableSender(JetStream js, String subject, DurableChannel channel, String who, Clock clock) {
    this.js = js;
    this.subject = subject;
    this.stream = channel.stream();
    this.who = who;
    this.clock = clock;
  }

  /** Whether another message may be sent now. */
  boolean hasRoom() {
    return pending.size() < MAX_IN_FLIGHT;
  }

  /** Hands message {@code number} to JetStream; the caller checked {@link #hasRoom()}. */
  void send(long number, String id, byte[] data) {
    Pending p = new Pending(number, id, data);
    pending.put(number, p);
    inFlight = pending.size();
    attempt(p);
  }

  /** Takes in the acknowledgements that came, and re-sends what failed or timed out. */
  void poll() {
    long now = clock.nanos();
    for (Done d; (d = done.poll()) != null; ) {
      Pending p = pending.get(d.number());
      if (p == null || p.attempt != d.attempt()) {
        continue; // an attempt already superseded by a re-send
      }
      if (d.error() == null) {
        pending.remove(d.number());
        acknowledged.incrementAndGet();
        if (d.ack().isDuplicate()) {
          duplicateAcks.incrementAndGet();
        }
      } else {
        warn("message " + p.id + " was not stored, sending it again: " + describe(d.error()), now);
        long delay = Math.min(ACK_TIMEOUT.toNanos(), RETRY_DELAY.toNanos() << Math.min(p.failures, 4));
        p.failures++;
        p.dueNanos = Math.min(p.dueNanos, now + delay);
      }
    }
    List<Pending> due = new ArrayList<>();
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext(); ) {
      Pending p = it.next();
      if (p.dueNanos - now <= 0) {
        it.remove();
        due.add(p);
      }
    }
    for (Pending p : due) {
      p.future.cancel(false);
      pending.put(p.number, p);
      resent.incrementAndGet();
      attempt(p);
    }
    inFlight = pending.size();
  }

  /** Nanoseconds until the next re-send is due, or {@code max} if none is sooner. */
  long nanosUntilDue(long max) {
    long now = clock.nanos();
    long next = max;
    for (Pending p : pending.values()) {
      next = Math.min(next, Math.max(0, p.dueNanos - now));
    }
    return next;
  }

  /**
   * Waits up to {@code timeout} for the messages in flight to be acknowledged, re-sending as
   * needed: what a stopping publisher does so that what it handed over is stored.
   *
   * @return how many are still unacknowledged
   */
  int drain(Duration timeout) throws InterruptedException {
    long end = clock.nanos() + timeout.toNanos();
    poll();
    long now = clock.nanos();
    for (Pending p : pending.values()) {
      if (p.failures > 0) {
        p.dueNanos = Math.min(p.dueNanos, now); // one last try now, not after its back-off
      }
    }
    poll();
    while (!pending.isEmpty()) {
      long left = end - clock.nanos();
      if (left <= 0) {
        break;
      }
      Pending oldest = pending.values().iterator().next();
      try {
        oldest.future.get(Math.min(left, Math.max(1, nanosUntilDue(left))), TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException | java.util.concurrent.CancellationException e) {
        // taken in by poll()
      }
      poll();
    }
    return pending.size();
  }

  long acknowledged() {
    return acknowledged.get();
  }

  long resent() {
    return resent.get();
  }

  /** Acknowledgements saying the stream already had the message (a re-send of one that was stored). */
  long duplicateAcks() {
    return duplicateAcks.get();
  }

  int inFlight() {
    return inFlight;
  }

  private void attempt(Pending p) {
    int attempt = ++p.attempt;
    long now = clock.nanos();
    p.dueNanos = now + ACK_TIMEOUT.toNanos();
    PublishOptions options = PublishOptions.builder()
        .messageId(p.id)
        .expectedStream(stream)
        // jnats' own timeout later than ours: ours re-sends, its only cleans up
        .streamTimeout(ACK_TIMEOUT.plusSeconds(1))
        .build();
    CompletableFuture<PublishAck> f;
    try {
      f = js.publishAsync(subject, p.data, options);
    } catch (RuntimeException e) {
      // e.g. the reconnect buffer is full while the hub is away: try again shortly
      f = CompletableFuture.failedFuture(e);
    }
    p.future = f;
    long number = p.number;
    f.whenComplete((ack, error) -> done.add(new Done(number, attempt, ack, error)));
  }

  private void warn(String what, long now) {
    if (lastWarnNanos == Long.MIN_VALUE || now - lastWarnNanos >= WARN_INTERVAL_NANOS) {
      lastWarnNanos = now;
      LOG.warn("{}: {} (stream {}; further such warnings within 10 s are not logged)", who, what, stream);
    } else {
      LOG.debug("{}: {}", who, what);
    }
  }

  private static String describe(Throwable t) {
    Throwable c = t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    String s = c.toString();
    if (s.contains("503") || s.contains("No Responders")) {
      return s + " — is the stream missing? 'fogwise service apply' creates it (DurableStreams.provision)";
    }
    return s;
  }
}
