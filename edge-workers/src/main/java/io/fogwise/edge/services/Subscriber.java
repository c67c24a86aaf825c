package io.fogwise.edge.services;

import io.fogwise.edge.HostedService;
import io.fogwise.edge.ServiceContext;
import io.fogwise.edge.ServiceFactory;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceSubjects;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.SubscriberStats;
import io.fogwise.protocol.SubscriberStats.PublisherStats;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.PushSubscribeOptions;
import io.nats.client.impl.NatsJetStreamMetaData;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's subscriber: listens on {@code fw.data.<app>.<channel>}, accounts for every
 * publishing service with a {@link SequenceTracker} and an end-to-end latency histogram, and
 * publishes {@link SubscriberStats} every {@code statsIntervalMs} and when stopped.
 * Configuration: {@code app}, {@code channel} (as the publisher's), {@code statsSubject}
 * (default {@code fw.stats.<service>}; it must lie in the service's own subject space, see
 * {@link ServiceSubjects}) and {@code statsIntervalMs} (default 1000).
 *
 * <p>It does not trust senders with epochs: a message is counted only if its epoch is one the
 * gateway issued for its service ({@link IssuedEpochs}); a message with an epoch nobody issued
 * is counted as {@code unissuedEpoch} and dropped, and never becomes the newest epoch.
 *
 * <p>Counts and latencies are cumulative since the instance was started and survive a
 * crash-restart of the instance.
 *
 * <p>With {@code durable: true} ({@link DurableChannel}) it reads the channel from the
 * application's stream through the durable consumer named after the service, which the gateway
 * creates ({@link DurableStreams#ensureSubscriber}) and which pushes to {@code fw.dlv.<service>}
 * (a queue group: during a make-before-break move each message goes to one instance). So an
 * instance started elsewhere for the same service continues where the last stopped. Each
 * message is acknowledged after it is accounted for; one whose stream sequence this instance
 * already processed (a redelivery: its acknowledgement was lost, e.g. to a hub restart) is
 * acknowledged again and counted as a duplicate of its publisher, never accounted twice.
 * Processed sequences are remembered exactly for the last {@link SequenceTracker#WINDOW}, so a
 * redelivered older message that was never processed is still accounted for. A stopping instance
 * stops taking messages, then makes sure the hub has its acknowledgements.
 *
 * <p>It does not implement {@link io.fogwise.edge.Handover} and reports no output count: in
 * standby, and after a HANDOVER, it stays subscribed and keeps publishing its statistics, and
 * only the state its agent reports changes. Receiving in standby is harmless and means a
 * make-before-break migration of a subscriber misses nothing.
 */
public final class Subscriber implements HostedService, io.fogwise.edge.HubMove {
  private static final Logger LOG = LoggerFactory.getLogger(Subscriber.class);

  /** The kind name in START commands. */
  public static final String KIND = "subscriber";
  public static final long DEFAULT_STATS_INTERVAL_MS = 1000;
  /** Latencies above this are recorded as this (clock steps, very long pauses). */
  static final long MAX_LATENCY_MICROS = 60_000_000L;

  private final ServiceContext ctx;
  private final String dataSubject;
  private final String statsSubject;
  private final Duration statsInterval;
  private final Map<String, Track> tracks = new ConcurrentHashMap<>();
  private final LongAdder rejected = new LongAdder();
  private final MessageRejections rejections;
  private final IssuedEpochs issued;
  /** Null in core mode. */
  private final DurableChannel durable;
  /** Durable mode: stream sequences processed (epoch 0, number = sequence); guarded by {@link #intake}. */
  private final SequenceTracker streamSequences = new SequenceTracker();
  /** Held while a durable message is accounted for and acknowledged, and while a stop shuts the intake. */
  private final Object intake = new Object();
  private final LongAdder redelivered = new LongAdder();
  private final LongAdder acknowledged = new LongAdder();
  private boolean intakeClosed;
  /** Core mode: the dispatcher taking data messages, its connection and its path (a hub move adds one). */
  private Dispatcher current;
  private Connection currentConnection;
  private int currentPath;
  /** A hub move under way: the dispatcher on the new connection, until detach. */
  private Dispatcher attachedDispatcher;
  private Connection attachedConnection;
  /** Set by the first hub move: drops the second copy of a message that arrived on both paths. */
  private volatile OverlapFilter overlap;
  private final LongAdder overlapCopies = new LongAdder();
  private final java.util.concurrent.atomic.AtomicInteger lastPathSeen = new java.util.concurrent.atomic.AtomicInteger(-1);
  private final Object moving = new Object();
  /** Null unless the agent was given a latency log directory. */
  private final LatencyLog latencyLog;

  private Subscriber(ServiceContext ctx) {
    this.ctx = ctx;
    String app = ctx.configString("app", Publisher.DEFAULT_APP);
    String channel = ctx.configString("channel", Publisher.DEFAULT_CHANNEL);
    try {
      this.dataSubject = Subjects.data(app, channel);
      // Checked again here (the gateway checked the spec): a value from anywhere else must not make
      // this agent write the gateway's durable state or speak on its subjects.
      this.statsSubject = ServiceSubjects.require(ctx.serviceName(), "statsSubject",
          ctx.configString("statsSubject", Subjects.subscriberStats(ctx.serviceName())), app);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("service '" + ctx.serviceName() + "': " + e.getMessage(), e);
    }
    try {
      this.durable = DurableChannel.fromConfig(ctx.config()).orElse(null);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("service '" + ctx.serviceName() + "': " + e.getMessage(), e);
    }
    this.statsInterval = Duration.ofMillis(ctx.configLong("statsIntervalMs", DEFAULT_STATS_INTERVAL_MS, 10, 3_600_000));
    this.rejections = new MessageRejections("subscriber " + ctx.serviceName() + " on " + ctx.deviceId());
    this.issued = new IssuedEpochs(ctx.connection(), ctx.gatewayId(), ctx.clock());
    this.latencyLog = ctx.latencyLogDir().map(dir -> LatencyLog.open(dir, ctx.serviceName(), ctx.epoch())).orElse(null);
  }

  /** Copies of messages dropped because they arrived on both connections during a hub move. */
  public long overlapCopies() {
    return overlapCopies.sum();
  }

  @Override
  public void attach(Connection next, Duration timeout) throws Exception {
    if (durable != null) {
      throw new UnsupportedOperationException("a durable subscriber (consumer " + ctx.serviceName() + ") cannot move to"
          + " another server yet");
    }
    int path;
    synchronized (moving) {
      if (current == null) {
        throw new IllegalStateException("not running (between restarts); try again");
      }
      if (overlap == null) {
        overlap = new OverlapFilter();
      }
      path = currentPath + 1;
      int p = path;
      attachedDispatcher = next.createDispatcher(m -> onPath(m, p));
      attachedDispatcher.subscribe(dataSubject);
      attachedConnection = next;
    }
    try {
      next.flush(timeout);
    } catch (Exception e) {
      synchronized (moving) {
        closeQuietly(attachedConnection, attachedDispatcher);
        attachedDispatcher = null;
        attachedConnection = null;
      }
      throw e;
    }
    // the new path carries data once a message arrives on it: interest crossed to the old server
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lastPathSeen) {
      while (lastPathSeen.get() != path && System.nanoTime() < deadline) {
        lastPathSeen.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
      }
    }
    LOG.info("subscriber '{}' epoch {} on {}: attached to {} as well{}", ctx.serviceName(), ctx.epoch(), ctx.deviceId(),
        next.getConnectedUrl(), lastPathSeen.get() == path ? ", data arriving there" : ", no data there yet");
  }

  @Override
  public void detach() {
    synchronized (moving) {
      if (attachedDispatcher == null) {
        throw new IllegalStateException("not attached to another server");
      }
      currentConnection.closeDispatcher(current);
      current = attachedDispatcher;
      currentConnection = attachedConnection;
      currentPath++;
      attachedDispatcher = null;
      attachedConnection = null;
      issued.use(currentConnection);
    }
    LOG.info("subscriber '{}' epoch {} on {}: left its old server; {} copies of messages seen both ways dropped",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), overlapCopies.sum());
  }

  private void onPath(Message msg, int path) {
    account(msg, true, path);
  }

  /** The factory of kind {@value #KIND}. */
  public static ServiceFactory factory() {
    return Subscriber::new;
  }

  /** The data subject listened to. */
  public String dataSubject() {
    return dataSubject;
  }

  /** The durable channel it reads, or empty in core mode. */
  public Optional<DurableChannel> durableChannel() {
    return Optional.ofNullable(durable);
  }

  /** Durable mode: redeliveries of stream messages this instance had already processed (dropped). */
  public long redelivered() {
    return redelivered.sum();
  }

  /** Durable mode: messages acknowledged to the stream (processed ones and redeliveries). */
  public long acknowledged() {
    return acknowledged.sum();
  }

  @Override
  public void run() throws Exception {
    Connection nc = ctx.connection();
    Dispatcher dispatcher;
    if (durable == null) {
      synchronized (moving) {
        int path = currentPath;
        dispatcher = nc.createDispatcher(m -> onPath(m, path));
        dispatcher.subscribe(dataSubject);
        current = dispatcher;
        currentConnection = nc;
      }
    } else {
      synchronized (intake) {
        intakeClosed = false;
      }
      dispatcher = nc.createDispatcher();
      try {
        bindConsumer(nc, dispatcher);
      } catch (Exception e) {
        nc.closeDispatcher(dispatcher); // run() is retried after a back-off: no dispatcher thread per attempt
        throw e;
      }
    }
    LOG.info(
        "subscriber '{}' epoch {} on {}: listening on {}{}, stats to {} every {} ms",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), dataSubject,
        durable == null ? "" : " (durable, consumer " + ctx.serviceName() + " of stream " + durable.stream() + ")",
        statsSubject, statsInterval.toMillis());
    try {
      while (!ctx.awaitStop(statsInterval)) {
        publishStats();
        if (latencyLog != null) {
          latencyLog.flush();
        }
      }
    } finally {
      if (durable != null) {
        synchronized (intake) {
          intakeClosed = true; // what is still queued is not acknowledged: the next instance gets it
        }
      }
      if (durable == null) {
        synchronized (moving) {
          closeQuietly(currentConnection, current);
          closeQuietly(attachedConnection, attachedDispatcher);
          current = null;
          attachedDispatcher = null;
          attachedConnection = null;
        }
      } else {
        nc.closeDispatcher(dispatcher);
        flushAcks(nc);
      }
      publishStats();
      if (latencyLog != null) {
        latencyLog.flush();
      }
    }
  }

  private static void closeQuietly(Connection conn, Dispatcher d) {
    if (conn != null && d != null) {
      try {
        conn.closeDispatcher(d);
      } catch (RuntimeException e) {
        // the connection is already closed
      }
    }
  }

  /** How long a stopping durable subscriber waits for its acknowledgements to reach the hub. */
  private static final Duration ACK_FLUSH = Duration.ofMillis(500);

  private void bindConsumer(Connection nc, Dispatcher dispatcher) throws IOException, JetStreamApiException {
    String consumer = ctx.serviceName();
    try {
      nc.jetStream().subscribe(dataSubject, consumer, dispatcher, this::onDurable, false,
          PushSubscribeOptions.bind(durable.stream(), consumer));
    } catch (JetStreamApiException | IllegalArgumentException e) {
      throw new IllegalStateException("subscriber '" + consumer + "' on " + ctx.deviceId() + ": cannot use durable"
          + " consumer " + consumer + " of stream " + durable.stream() + " (" + e.getMessage() + "); 'fogwise service"
          + " apply' creates both before it sends the spec (DurableStreams.provision)", e);
    }
  }

  private void flushAcks(Connection nc) {
    if (nc.getStatus() != Connection.Status.CONNECTED) {
      // a flush would only wait out its timeout, holding up the agent's next commands (a fence is
      // usually followed by a START elsewhere); what was not acknowledged is redelivered
      LOG.info("subscriber '{}' on {}: not connected at the stop ({}); unacknowledged messages go to the next"
          + " instance", ctx.serviceName(), ctx.deviceId(), nc.getStatus());
      return;
    }
    try {
      nc.flush(ACK_FLUSH);
    } catch (Exception e) {
      LOG.info("subscriber '{}' on {}: acknowledgements may not have reached the hub before the stop ({}); the"
          + " stream redelivers those messages to the next instance", ctx.serviceName(), ctx.deviceId(), e.toString());
    }
  }

  private void onDurable(Message msg) {
    synchronized (intake) {
      if (intakeClosed) {
        return;
      }
      NatsJetStreamMetaData meta = msg.metaData();
      if (!meta.getStream().equals(durable.stream()) || !meta.getConsumer().equals(ctx.serviceName())) {
        // only operators create consumers; one delivering here from elsewhere is not this channel
        rejected.increment();
        rejections.reject("data", msg.getSubject(), new RejectedMessageException(RejectReason.RELAYED,
            "delivered by consumer " + meta.getConsumer() + " of stream " + meta.getStream() + ", not by "
                + ctx.serviceName() + " of " + durable.stream()));
        return;
      }
      if (streamSequences.record(0, meta.streamSequence()) == SequenceTracker.Outcome.DUPLICATE) {
        redelivered.increment();
        countRedelivery(msg);
      } else {
        account(msg, false, -1);
      }
      msg.ack();
      acknowledged.increment();
    }
  }

  /** A redelivery of a processed message: a duplicate of its publisher, if it was accounted to one. */
  private void countRedelivery(Message msg) {
    try {
      AppMessage m = MessageCodec.decode(msg.getData(), AppMessage.class);
      Track track = tracks.get(m.service());
      if (track != null) {
        track.countDuplicate();
      }
    } catch (RejectedMessageException e) {
      // rejected (and counted) when it came first
    }
  }


  /**
   * Accounts for one data message. A core-NATS message is first checked not to be relayed by
   * JetStream ({@link io.fogwise.protocol.Relayed}); a durable delivery is JetStream's by design,
   * and comes from this service's own consumer (checked by the caller).
   */
  private void account(Message msg, boolean checkRelayed, int path) {
    long receivedNanos = wallNanos();
    AppMessage m;
    try {
      if (checkRelayed) {
        io.fogwise.protocol.Relayed.check(msg);
      }
      m = MessageCodec.decode(msg.getData(), AppMessage.class);
    } catch (RejectedMessageException e) {
      rejected.increment();
      rejections.reject("data", msg.getSubject(), e);
      return;
    }
    OverlapFilter o = overlap;
    if (path >= 0) {
      if (lastPathSeen.getAndSet(path) != path) {
        synchronized (lastPathSeen) {
          lastPathSeen.notifyAll();
        }
      }
      if (o != null && o.isCopy(m.service(), m.epoch(), m.number(), path)) {
        overlapCopies.increment();
        if (latencyLog != null) {
          latencyLog.write(receivedNanos, m, null);
        }
        return;
      }
    }
    long issuedEpoch = issued.issued(m.service(), m.epoch());
    Track track = tracks.get(m.service());
    if (track == null && issuedEpoch < 0) {
      // No epoch was ever issued for this service: no track (a forger could make unbounded many).
      rejected.increment();
      rejections.reject("data", msg.getSubject(), new RejectedMessageException(RejectReason.INVALID_FIELD, "epoch",
          "service '" + m.service() + "' has no epoch issued by gateway " + ctx.gatewayId()));
      return;
    }
    if (track == null) {
      track = tracks.computeIfAbsent(m.service(), s -> new Track());
    }
    SequenceTracker.Outcome outcome = track.record(m, receivedNanos, issuedEpoch);
    if (latencyLog != null) {
      latencyLog.write(receivedNanos, m, outcome);
    }
  }

  /** The statistics as they would be published now. */
  public SubscriberStats stats() {
    List<PublisherStats> publishers = new ArrayList<>(tracks.size());
    tracks.forEach((service, track) -> publishers.add(track.snapshot(service)));
    publishers.sort(Comparator.comparing(PublisherStats::service));
    return new SubscriberStats(
        ctx.deviceId(), ctx.serviceName(), dataSubject, ctx.clock().wallMillis(), rejected.sum(), publishers);
  }

  private void publishStats() {
    try {
      ctx.connection().publish(statsSubject, MessageCodec.encode(stats()));
    } catch (RuntimeException e) {
      LOG.warn("subscriber '{}' on {}: cannot publish stats to {}: {}", ctx.serviceName(), ctx.deviceId(), statsSubject, e.toString());
    }
  }

  private static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** One publishing service: sequence accounting plus latency, guarded by its own monitor. */
  private static final class Track {
    private final SequenceTracker sequence = new SequenceTracker();
    private final Histogram latency = new Histogram(MAX_LATENCY_MICROS, 3);

    synchronized SequenceTracker.Outcome record(AppMessage m, long receivedNanos, long issuedEpoch) {
      SequenceTracker.Outcome outcome = sequence.record(m.epoch(), m.number(), issuedEpoch);
      if (outcome == SequenceTracker.Outcome.ACCEPTED) {
        // clocks of different devices may disagree: a negative latency is recorded as 0
        long micros = Math.max(0, (receivedNanos - m.epochNanos()) / 1_000);
        latency.recordValue(Math.min(MAX_LATENCY_MICROS, micros));
      }
      return outcome;
    }

    synchronized void countDuplicate() {
      sequence.countDuplicate();
    }

    synchronized PublisherStats snapshot(String service) {
      boolean any = latency.getTotalCount() > 0;
      return new PublisherStats(
          service,
          Math.max(0, sequence.epoch()),
          sequence.received(),
          sequence.gaps(),
          sequence.missing(),
          sequence.duplicates(),
          sequence.staleEpoch(),
          sequence.unissuedEpoch(),
          any ? latency.getValueAtPercentile(50) : 0,
          any ? latency.getValueAtPercentile(99) : 0,
          any ? latency.getMaxValue() : 0,
          any ? latency.getMean() : 0);
    }
  }
}
