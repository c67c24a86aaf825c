package io.fogwise.edge.services;

import io.fogwise.edge.HostedService;
import io.fogwise.edge.ServiceContext;
import io.fogwise.edge.ServiceFactory;
import io.fogwise.protocol.AppMessage;
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
import io.nats.client.Message;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
 * <p>It does not implement {@link io.fogwise.edge.Handover} and reports no output count: in
 * standby, and after a HANDOVER, it stays subscribed and keeps publishing its statistics, and
 * only the state its agent reports changes. Receiving in standby is harmless and means a
 * make-before-break migration of a subscriber misses nothing.
 */
public final class Subscriber implements HostedService {
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
    this.statsInterval = Duration.ofMillis(ctx.configLong("statsIntervalMs", DEFAULT_STATS_INTERVAL_MS, 10, 3_600_000));
    this.rejections = new MessageRejections("subscriber " + ctx.serviceName() + " on " + ctx.deviceId());
    this.issued = new IssuedEpochs(ctx.connection(), ctx.gatewayId(), ctx.clock());
  }

  /** The factory of kind {@value #KIND}. */
  public static ServiceFactory factory() {
    return Subscriber::new;
  }

  /** The data subject listened to. */
  public String dataSubject() {
    return dataSubject;
  }

  @Override
  public void run() throws InterruptedException {
    Connection nc = ctx.connection();
    Dispatcher dispatcher = nc.createDispatcher(this::onMessage);
    dispatcher.subscribe(dataSubject);
    LOG.info(
        "subscriber '{}' epoch {} on {}: listening on {}, stats to {} every {} ms",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), dataSubject, statsSubject, statsInterval.toMillis());
    try {
      while (!ctx.awaitStop(statsInterval)) {
        publishStats();
      }
    } finally {
      nc.closeDispatcher(dispatcher);
      publishStats();
    }
  }

  private void onMessage(Message msg) {
    long receivedNanos = wallNanos();
    AppMessage m;
    try {
      io.fogwise.protocol.Relayed.check(msg);
      m = MessageCodec.decode(msg.getData(), AppMessage.class);
    } catch (RejectedMessageException e) {
      rejected.increment();
      rejections.reject("data", msg.getSubject(), e);
      return;
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
    track.record(m, receivedNanos, issuedEpoch);
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

    synchronized void record(AppMessage m, long receivedNanos, long issuedEpoch) {
      if (sequence.record(m.epoch(), m.number(), issuedEpoch) == SequenceTracker.Outcome.ACCEPTED) {
        // clocks of different devices may disagree: a negative latency is recorded as 0
        long micros = Math.max(0, (receivedNanos - m.epochNanos()) / 1_000);
        latency.recordValue(Math.min(MAX_LATENCY_MICROS, micros));
      }
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
