package io.fogwise.cloud.history;

import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.Telemetry;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.ConsumeOptions;
import io.nats.client.ConsumerContext;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the cloud's history streams into the {@link HistoryStore}: durable pull consumers
 * ({@value #TELEMETRY_CONSUMER} on {@value Subjects#TELEMETRY_STREAM}, {@value #EVENTS_CONSUMER}
 * on {@value Subjects#EVENTS_STREAM}, explicit acknowledgement) fetched in batches. Each batch
 * is decoded, validated, appended and forced to the disk, and only then acknowledged, message
 * by message: instances sharing a consumer each receive their own messages, so no instance
 * ever acknowledges another's (an ack-all would). A crash between storing and acknowledging
 * makes the server deliver the batch again; the store recognises it and it is acknowledged
 * without being stored twice.
 *
 * <p>Bad input is stored as a rejection with its reason, counted, and acknowledged, so it is
 * neither mined nor delivered forever: messages that do not decode or are out of range
 * ({@link MessageCodec}), timestamps more than {@link Options#maxSkew} ahead of the clock, and
 * ids that disagree with the subject.
 */
public final class HistoryIngestor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(HistoryIngestor.class);
  /** The durable consumer of telemetry, shared by all miner instances. */
  public static final String TELEMETRY_CONSUMER = "fw-miner-telemetry";
  /** The durable consumer of events, shared by all miner instances. */
  public static final String EVENTS_CONSUMER = "fw-miner-events";

  private final Connection nats;
  private final HistoryStore store;
  private final Options options;
  private final Clock clock;
  private final HistoryMetrics metrics;
  private final StreamLoop telemetry;
  private final StreamLoop events;
  private final BatchHook hook;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;
  /** How long to wait for the rest of a batch once its first message came: only what is already here. */
  private static final Duration NEXT_WAIT = Duration.ofMillis(1);
  /** Pause after a failed batch before consuming again. */
  private static final Duration RETRY = Duration.ofSeconds(2);

  /**
   * How ingestion runs.
   *
   * @param batch messages per fetch, stored with one disk flush
   * @param maxAckPending messages delivered and not yet acknowledged, across all instances
   * @param ackWait how long the server waits for an acknowledgement before delivering again
   * @param fetchWait how long one fetch waits for a batch to fill
   * @param maxSkew how far ahead of the clock a timestamp may be before it counts as from the future
   */
  public record Options(int batch, int maxAckPending, Duration ackWait, Duration fetchWait, Duration maxSkew) {
    /**
     * Messages per batch: one disk flush (a few ms) per 2,000 telemetry messages keeps the flushes
     * a small part of the work while a batch stays well inside {@link #DEFAULT_ACK_WAIT}.
     */
    public static final int DEFAULT_BATCH = 2_000;
    /** Room for a few batches per instance in flight. */
    public static final int DEFAULT_MAX_ACK_PENDING = 20_000;
    /** A batch is stored in well under a second; 30 s leaves room for a slow disk. */
    public static final Duration DEFAULT_ACK_WAIT = Duration.ofSeconds(30);
    /** Short enough that a trickle of live telemetry is stored within half a second. */
    public static final Duration DEFAULT_FETCH_WAIT = Duration.ofMillis(500);
    /** Gateways' clocks may be a little ahead; five minutes is not a little. */
    public static final Duration DEFAULT_MAX_SKEW = Duration.ofMinutes(5);

    public Options {
      if (batch < 1 || batch > 100_000) {
        throw new IllegalArgumentException("batch must be within [1, 100000], got " + batch);
      }
      if (maxAckPending < batch) {
        throw new IllegalArgumentException("maxAckPending must be >= batch, got " + maxAckPending);
      }
      positive(ackWait, "ackWait");
      positive(fetchWait, "fetchWait");
      if (maxSkew.isNegative()) {
        throw new IllegalArgumentException("maxSkew must not be negative, got " + maxSkew);
      }
    }

    private static void positive(Duration d, String what) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive, got " + d);
      }
    }

    /** The defaults. */
    public static Options defaults() {
      return new Options(DEFAULT_BATCH, DEFAULT_MAX_ACK_PENDING, DEFAULT_ACK_WAIT, DEFAULT_FETCH_WAIT,
          DEFAULT_MAX_SKEW);
    }

    /** These options with an ack wait of {@code d}. */
    public Options withAckWait(Duration d) {
      return new Options(batch, maxAckPending, d, fetchWait, maxSkew);
    }

    /** These options with batches of {@code b} (and room for them in {@code maxAckPending}). */
    public Options withBatch(int b) {
      return new Options(b, Math.max(maxAckPending, b), ackWait, fetchWait, maxSkew);
    }
  }

  /**
   * What a {@link #drain} did.
   *
   * @param messages messages stored or rejected
   * @param nanos how long it took, until the consumers had nothing left
   */
  public record DrainResult(long messages, long nanos) {
    /** Messages per second. */
    public double perSecond() {
      return nanos == 0 ? 0 : messages * 1e9 / nanos;
    }
  }

  /**
   * What this ingestor did since it was created.
   *
   * @param telemetry telemetry messages stored
   * @param events event messages stored
   * @param rejected messages excluded as bad input
   * @param redelivered messages delivered again that were stored already
   */
  public record Stats(long telemetry, long events, long rejected, long redelivered) {
    /** Messages stored or rejected. */
    public long handled() {
      return telemetry + events + rejected;
    }
  }

  /** Called once a batch is durable and before it is acknowledged; throwing stops the loop unacknowledged (tests). */
  @FunctionalInterface
  interface BatchHook {
    void durable(String stream, int messages) throws Exception;
  }

  private HistoryIngestor(Connection nats, HistoryStore store, Options options, Clock clock, HistoryMetrics metrics,
      BatchHook hook) throws IOException {
    this.nats = nats;
    this.store = store;
    this.options = options;
    this.clock = clock;
    this.metrics = metrics;
    this.hook = hook;
    this.telemetry = new StreamLoop(HistoryMetrics.TELEMETRY, Subjects.TELEMETRY_STREAM, TELEMETRY_CONSUMER);
    this.events = new StreamLoop(HistoryMetrics.EVENTS, Subjects.EVENTS_STREAM, EVENTS_CONSUMER);
  }

  /**
   * Creates (or updates) the durable consumers and binds to them; {@link #start} or {@link #drain}
   * then ingests.
   *
   * @throws IOException if the streams are missing (is the hub running?) or JetStream refuses
   */
  public static HistoryIngestor create(Connection nats, HistoryStore store, Options options, Clock clock,
      HistoryMetrics metrics) throws IOException {
    return create(nats, store, options, clock, metrics, (s, n) -> { });
  }

  static HistoryIngestor create(Connection nats, HistoryStore store, Options options, Clock clock,
      HistoryMetrics metrics, BatchHook hook) throws IOException {
    return new HistoryIngestor(Objects.requireNonNull(nats, "nats"), Objects.requireNonNull(store, "store"),
        Objects.requireNonNull(options, "options"), Objects.requireNonNull(clock, "clock"),
        Objects.requireNonNull(metrics, "metrics"), Objects.requireNonNull(hook, "hook"));
  }

  /** Ingests on two threads of its own (telemetry, events) until {@link #close}. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    for (StreamLoop loop : List.of(telemetry, events)) {
      Thread t = new Thread(loop::run, "fw-miner-ingest-" + loop.tag);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    LOG.info("miner {} ingesting {} and {} into {} (batches of {}, durable before acknowledged)", store.instanceId(),
        Subjects.TELEMETRY_STREAM, Subjects.EVENTS_STREAM, store.dir(), options.batch());
  }

  /**
   * Ingests until both consumers have nothing pending and nothing unacknowledged (for a
   * benchmark of a pre-filled stream, or a one-shot catch-up), then stops.
   *
   * @throws IllegalStateException if the ingestor is already running, or the timeout passed first
   */
  public DrainResult drain(Duration timeout) throws IOException, InterruptedException {
    synchronized (this) {
      if (running) {
        throw new IllegalStateException("the ingestor is running already; drain() runs it by itself");
      }
    }
    long before = stats().handled();
    long start = System.nanoTime();
    start();
    try {
      long deadline = start + timeout.toNanos();
      while (true) {
        if (telemetry.idle() && events.idle()) {
          long end = System.nanoTime();
          return new DrainResult(stats().handled() - before, end - start);
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("the history streams were not drained within " + timeout + " ("
              + (stats().handled() - before) + " messages so far)");
        }
        Thread.sleep(20); // polling the consumers' state; the loops do the work
      }
    } finally {
      stop();
    }
  }

  /** What this ingestor did so far. */
  public Stats stats() {
    return new Stats(telemetry.stored.get(), events.stored.get(), telemetry.rejected.get() + events.rejected.get(),
        telemetry.redelivered.get() + events.redelivered.get());
  }

  /** The store it writes to. */
  public HistoryStore store() {
    return store;
  }

  private void stop() throws InterruptedException {
    List<Thread> ts;
    synchronized (this) {
      running = false;
      ts = List.copyOf(threads);
      threads.clear();
    }
    for (Thread t : ts) {
      t.join(options.fetchWait().toMillis() * 4 + 10_000);
    }
  }

  /** Stops ingesting after the batch in hand (stored and acknowledged). Does not close the store or NATS. */
  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One stream's consumer and its loop. */
  private final class StreamLoop {
    final String tag;
    final String stream;
    final String durable;
    final AtomicLong stored = new AtomicLong();
    final AtomicLong rejected = new AtomicLong();
    final AtomicLong redelivered = new AtomicLong();
    private final ConsumerContext consumer;
    private volatile boolean lastFetchEmpty;
    private volatile boolean stopped;

    StreamLoop(String tag, String stream, String durable) throws IOException {
      this.tag = tag;
      this.stream = stream;
      this.durable = durable;
      try {
        JetStreamManagement jsm = nats.jetStreamManagement();
        jsm.addOrUpdateConsumer(stream, ConsumerConfiguration.builder().durable(durable)
            .ackPolicy(AckPolicy.Explicit).deliverPolicy(DeliverPolicy.All).ackWait(options.ackWait())
            .maxAckPending(options.maxAckPending())
            .description("Fogwise miner: " + tag + " into the miners' history store").build());
        this.consumer = nats.getConsumerContext(stream, durable);
      } catch (JetStreamApiException e) {
        throw new IOException("cannot consume " + stream + " as " + durable + ": " + e.getMessage()
            + (e.getApiErrorCode() == 10059 ? " (the hub creates the history streams: is 'fogwise hub' running?)" : ""),
            e);
      }
    }

    /** Nothing delivered to fetch and nothing left unacknowledged (by anyone). */
    boolean idle() throws IOException {
      if (!lastFetchEmpty && !stopped) {
        return false;
      }
      try {
        ConsumerInfo info = nats.jetStreamManagement().getConsumerInfo(stream, durable);
        return info.getNumPending() == 0 && info.getNumAckPending() == 0;
      } catch (JetStreamApiException e) {
        throw new IOException("cannot read consumer " + durable + ": " + e.getMessage(), e);
      }
    }

    void run() {
      while (running) {
        runOnce();
        if (running && nats.getStatus() != Connection.Status.CLOSED) {
          try {
            Thread.sleep(RETRY.toMillis()); // a failed batch: let the cause (a full disk, a reconnect) pass
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        } else {
          return;
        }
      }
    }

    private void runOnce() {
      stopped = false;
      IterableConsumer it = null;
      try {
        // iterate keeps pull requests ahead of the batch in hand, so the server sends the next
        // batch while this one is stored
        it = consumer.iterate(ConsumeOptions.builder().batchSize(options.batch() * 2).build());
        List<Message> batch = new ArrayList<>(options.batch());
        while (running) {
          Message first = it.nextMessage(options.fetchWait());
          if (first == null) {
            lastFetchEmpty = true;
            continue;
          }
          lastFetchEmpty = false;
          batch.add(first);
          while (batch.size() < options.batch()) {
            Message m = it.nextMessage(NEXT_WAIT);
            if (m == null) {
              break;
            }
            batch.add(m);
          }
          handle(batch);
          batch.clear();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        if (running && nats.getStatus() != Connection.Status.CLOSED) {
          LOG.warn("miner {}: a batch of {} failed, not acknowledged (delivered again after the ack wait); retrying in"
              + " {} s: {}", store.instanceId(), stream, RETRY.toSeconds(), e.toString());
        }
      } finally {
        if (it != null) {
          try {
            it.stop();
          } catch (RuntimeException ignored) {
            // the connection is gone: nothing to stop
          }
        }
        stopped = true;
      }
    }

    private void handle(List<Message> batch) throws Exception {
      int stored = 0;
      int again = 0;
      List<BadInput> bad = new ArrayList<>(0);
      boolean isTelemetry = tag.equals(HistoryMetrics.TELEMETRY);
      long notAfter = clock.wallMillis() + options.maxSkew().toMillis();
      try {
      for (Message m : batch) {
        long seq = m.metaData().streamSequence();
        if (isTelemetry ? store.hasTelemetry(seq) : store.hasEvent(seq)) {
          again++;
          continue;
        }
        BadInput reason = isTelemetry ? telemetry(seq, m, notAfter) : event(seq, m, notAfter);
        if (reason == null) {
          stored++;
        } else {
          bad.add(reason);
        }
      }
      if (isTelemetry) {
        store.syncTelemetry();
      } else {
        store.syncEvents();
      }
      } catch (Exception e) {
        // nothing of this batch is acknowledged; forget it so that its redelivery is stored
        if (isTelemetry) {
          store.discardTelemetry();
        } else {
          store.discardEvents();
        }
        throw e;
      }
      hook.durable(tag, batch.size());
      for (Message m : batch) {
        m.ack();
      }
      this.stored.addAndGet(stored);
      this.rejected.addAndGet(bad.size());
      this.redelivered.addAndGet(again);
      metrics.stored(tag, stored);
      for (BadInput b : bad) {
        metrics.rejected(tag, b);
      }
      for (int i = 0; i < again; i++) {
        metrics.redelivered(tag);
      }
    }

    /** Stores one telemetry message; null if stored, else why it was rejected (stored as a rejection). */
    private BadInput telemetry(long seq, Message m, long notAfter) throws IOException {
      BadInput reason;
      try {
        Telemetry t = MessageCodec.decode(m.getData(), Telemetry.class);
        if (t.atMillis() > notAfter) {
          reason = BadInput.FUTURE_TIMESTAMP;
        } else if (!Subjects.telemetry(t.gatewayId(), t.deviceId()).equals(m.getSubject())) {
          reason = BadInput.SUBJECT_MISMATCH;
        } else {
          store.appendTelemetry(seq, t);
          return null;
        }
      } catch (RejectedMessageException e) {
        reason = BadInput.of(e.reason());
      }
      store.rejectTelemetry(seq, reason);
      return reason;
    }

    private BadInput event(long seq, Message m, long notAfter) throws IOException {
      BadInput reason;
      try {
        AdaptationEvent e = MessageCodec.decode(m.getData(), AdaptationEvent.class);
        if (e.atMillis() > notAfter) {
          reason = BadInput.FUTURE_TIMESTAMP;
        } else if (!Subjects.events(e.gatewayId()).equals(m.getSubject())) {
          reason = BadInput.SUBJECT_MISMATCH;
        } else {
          store.appendEvent(seq, e);
          return null;
        }
      } catch (RejectedMessageException e) {
        reason = BadInput.of(e.reason());
      }
      store.rejectEvent(seq, reason);
      return reason;
    }
  }
}
