package io.fogwise.edge.services;

import io.fogwise.edge.Handover;
import io.fogwise.edge.HostedService;
import io.fogwise.edge.ServiceContext;
import io.fogwise.edge.ServiceFactory;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.DurableChannel;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's publisher: sends numbered {@link AppMessage}s to {@code fw.data.<app>.<channel>}
 * at a fixed rate. Configuration: {@code app} (default {@value #DEFAULT_APP}), {@code channel}
 * (default {@value #DEFAULT_CHANNEL}), {@code rateHz} (default 100, at most 10000),
 * {@code startNumber} (default 0) and {@code stallAfter} (see below).
 *
 * <p>Numbers increase by one per message and survive a crash-restart of the instance. For a
 * planned migration it implements {@link Handover}: a handover stops publishing before it
 * returns the next number, and an activation publishes the first message with the given number
 * at once, then keeps the rate from there. Started in standby, it is connected but publishes
 * nothing until activated. {@link #outputs()} counts the messages published by this instance.
 *
 * <p>With {@code durable: true} ({@link DurableChannel}: also {@code durableMaxAge},
 * {@code durableMaxBytes}) each message goes through JetStream to the application's stream with
 * the message id {@code service/epoch/number}: at most {@link DurableSender#MAX_IN_FLIGHT} are
 * unacknowledged at a time, and one whose acknowledgement fails or does not come is sent again
 * with the same id, so the stream stores it once, across hub restarts and hand-overs (a
 * handed-over instance keeps re-sending what it had in flight). Numbering, standby, hand-over,
 * {@code stallAfter} and the output count (messages handed to NATS, re-sends not counted) are
 * as in core mode; {@link #acknowledged()} and {@link #resent()} count the rest. The stream must
 * exist: 'fogwise service apply' creates it ({@link DurableStreams#provision}).
 *
 * <p>{@code stallAfter} is a fault-injection knob for tests and demos: after that many messages
 * (in total for the instance) the publisher silently stops publishing while it keeps running
 * and is still reported RUNNING, as a hung service would; its output count stops growing.
 */
public final class Publisher implements HostedService, Handover, io.fogwise.edge.HubMove {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** The kind name in START commands. */
  public static final String KIND = "publisher";
  public static final String DEFAULT_APP = io.fogwise.protocol.Subjects.DEFAULT_APP;
  public static final String DEFAULT_CHANNEL = "readings";
  public static final double DEFAULT_RATE_HZ = 100;
  public static final double MAX_RATE_HZ = 10_000;
  /** While not publishing, how long one wait lasts; stop and activation end it earlier. */
  private static final Duration IDLE_WAIT = Duration.ofSeconds(1);
  /**
   * Durable mode: how often acknowledgements are taken in while messages are in flight (they
   * arrive on NATS threads, which cannot end the wait). 5 ms: half a slot at 100 Hz.
   */
  private static final Duration ACK_POLL = Duration.ofMillis(5);
  /** Durable mode: how long a stopping publisher waits for its messages in flight (the agent's grace: 500 ms). */
  private static final Duration DRAIN_TIMEOUT = Duration.ofMillis(400);

  private final ServiceContext ctx;
  private final String subject;
  private final double rateHz;
  private final long stallAfter;
  /** Held across check, publish and count, and by handover/activate: see {@link OutputGate}. */
  private final ReentrantLock lock = new ReentrantLock();
  private final OutputGate gate;
  /** Null in core mode. */
  private final DurableChannel durable;
  /** Durable mode: made at the first run, kept across crash-restarts with what it has in flight. */
  private volatile DurableSender sender;
  // copies of the gate's numbers for readers on other threads, which must not wait for a publish
  private volatile long nextNumber;
  private volatile long published;
  private long skipped;

  private Publisher(ServiceContext ctx) {
    this.ctx = ctx;
    String app = ctx.configString("app", DEFAULT_APP);
    String channel = ctx.configString("channel", DEFAULT_CHANNEL);
    try {
      this.subject = Subjects.data(app, channel);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("service '" + ctx.serviceName() + "': " + e.getMessage(), e);
    }
    try {
      this.durable = DurableChannel.fromConfig(ctx.config()).orElse(null);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("service '" + ctx.serviceName() + "': " + e.getMessage(), e);
    }
    this.rateHz = ctx.configDouble("rateHz", DEFAULT_RATE_HZ, 0, MAX_RATE_HZ);
    long start = ctx.configLong("startNumber", 0, 0, Long.MAX_VALUE - 1);
    this.stallAfter = ctx.configLong("stallAfter", OutputGate.NEVER, 0, OutputGate.NEVER);
    this.gate = new OutputGate(start, stallAfter);
    this.nextNumber = start;
  }

  /** The factory of kind {@value #KIND}. */
  public static ServiceFactory factory() {
    return Publisher::new;
  }

  /** The number the next message will carry (what a handover passes on). */
  public long nextNumber() {
    return nextNumber;
  }

  /** The data subject this publisher sends to. */
  public String subject() {
    return subject;
  }

  /** The durable channel it publishes to, or empty in core mode. */
  public Optional<DurableChannel> durableChannel() {
    return Optional.ofNullable(durable);
  }

  /** Durable mode: messages JetStream acknowledged (stored, or already stored under their id); 0 in core mode. */
  public long acknowledged() {
    DurableSender s = sender;
    return s == null ? 0 : s.acknowledged();
  }

  /** Durable mode: re-sends after a failed or missing acknowledgement; 0 in core mode. */
  public long resent() {
    DurableSender s = sender;
    return s == null ? 0 : s.resent();
  }

  /** Durable mode: messages handed to JetStream and not yet acknowledged; 0 in core mode. */
  public int inFlight() {
    DurableSender s = sender;
    return s == null ? 0 : s.inFlight();
  }

  /** Messages published by this instance so far. */
  @Override
  public OptionalLong outputs() {
    return OptionalLong.of(published);
  }

  /** A hub move: the connection attached, not yet used. */
  private volatile Connection moveTo;
  /** After a hub move, the connection published on (null: the context's at run()). */
  private volatile Connection output;

  @Override
  public void attach(Connection next, Duration timeout) {
    if (durable != null) {
      throw new UnsupportedOperationException("a durable publisher (stream " + durable.stream() + ") cannot move to "
          + "another server yet: its acknowledgements come from the old one");
    }
    moveTo = java.util.Objects.requireNonNull(next, "next");
  }

  /**
   * Switches output to the attached connection between two messages: the old connection is
   * flushed first (the old server has every message sent there), so no message is lost, and
   * the next number goes out on the new one.
   */
  @Override
  public void detach() throws Exception {
    Connection next = moveTo;
    if (next == null) {
      throw new IllegalStateException("not attached to another server");
    }
    lock.lock();
    try {
      Connection old = output != null ? output : ctx.connection();
      try {
        old.flush(MOVE_FLUSH_TIMEOUT);
      } catch (java.util.concurrent.TimeoutException e) {
        LOG.warn("publisher '{}' epoch {}: the old server did not confirm the last messages within {} ms before the"
            + " hub move", ctx.serviceName(), ctx.epoch(), MOVE_FLUSH_TIMEOUT.toMillis());
      }
      output = next;
      moveTo = null;
      LOG.info("publisher '{}' epoch {}: publishing on {} from number {}", ctx.serviceName(), ctx.epoch(),
          next.getConnectedUrl(), nextNumber);
    } finally {
      lock.unlock();
    }
  }

  /** How long a hub move waits for the old server to confirm the last messages sent there. */
  private static final Duration MOVE_FLUSH_TIMEOUT = Duration.ofSeconds(1);

  @Override
  public OptionalLong handover() {
    lock.lock();
    try {
      // a publish in progress holds the lock: once we have it, the last message is handed to NATS
      long next = gate.handover();
      LOG.debug("publisher '{}' epoch {}: output stopped, next number {}", ctx.serviceName(), ctx.epoch(), next);
      return OptionalLong.of(next);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public boolean activate(long number) {
    lock.lock();
    try {
      boolean changed = gate.activate(number);
      nextNumber = gate.next();
      LOG.debug("publisher '{}' epoch {}: activate at {}: {}", ctx.serviceName(), ctx.epoch(), number, gate);
      return changed;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() throws Exception {
    Connection nc = ctx.connection();
    if (durable != null && sender == null) {
      sender = new DurableSender(nc.jetStream(), subject, durable,
          "publisher '" + ctx.serviceName() + "' epoch " + ctx.epoch() + " on " + ctx.deviceId(), ctx.clock());
    }
    DurableSender js = sender;
    long period = RateSchedule.periodNanos(rateHz);
    LOG.info(
        "publisher '{}' epoch {} on {}: {}{} at {} Hz from number {}{}{}",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), subject,
        js == null ? "" : " (durable, stream " + durable.stream() + ")", rateHz, nextNumber,
        isActive() ? "" : ", in standby",
        stallAfter == OutputGate.NEVER ? "" : ", stalling after " + stallAfter + " message(s) (fault injection)");
    RateSchedule schedule = null;
    long scheduledActivation = -1;
    boolean stallLogged = false;
    while (!ctx.isStopping()) {
      long wait;
      if (js != null) {
        js.poll();
      }
      lock.lock();
      try {
        if (!gate.mayProduce()) {
          wait = js == null || js.inFlight() == 0 ? IDLE_WAIT.toNanos() : ACK_POLL.toNanos();
          if (gate.stalled() && !stallLogged) {
            stallLogged = true;
            LOG.info(
                "publisher '{}' epoch {} on {}: stalled after {} message(s) as configured by stallAfter",
                ctx.serviceName(), ctx.epoch(), ctx.deviceId(), gate.producedCount());
          }
        } else {
          long now = ctx.clock().nanos();
          if (schedule == null || scheduledActivation != gate.activations()) {
            // (re)started or just activated: the first message is due now, not at the next slot
            schedule = new RateSchedule(now, period);
            scheduledActivation = gate.activations();
          }
          wait = schedule.deadline() - now;
          if (wait <= 0) {
            if (js == null || js.hasRoom()) {
              Connection out = output;
              publish(out != null ? out : nc, js, schedule);
            } else {
              wait = ACK_POLL.toNanos(); // the slots passed meanwhile are skipped, the numbers are not
            }
          } else if (js != null && js.inFlight() > 0) {
            wait = Math.min(wait, ACK_POLL.toNanos());
          }
        }
      } finally {
        lock.unlock();
      }
      if (wait > 0 && ctx.awaitStop(Duration.ofNanos(wait))) {
        break;
      }
    }
    if (js != null) {
      int left = js.drain(DRAIN_TIMEOUT);
      LOG.info("publisher '{}' epoch {} on {}: {} message(s) acknowledged by stream {}, {} re-send(s), {} of them"
          + " already stored{}", ctx.serviceName(), ctx.epoch(), ctx.deviceId(), js.acknowledged(), durable.stream(),
          js.resent(), js.duplicateAcks(), left == 0 ? "" : "; " + left + " still unacknowledged at stop (the stream"
              + " may or may not have them)");
    }
    LOG.info(
        "publisher '{}' epoch {} on {} stopped at number {} after {} message(s) ({} slot(s) skipped while behind)",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), nextNumber, published, skipped);
  }

  /** Sends the due message; the caller holds the lock. */
  private void publish(Connection nc, DurableSender js, RateSchedule schedule) {
    long number = gate.next();
    AppMessage m = new AppMessage(ctx.deviceId(), ctx.serviceName(), ctx.epoch(), number, wallNanos());
    if (js == null) {
      nc.publish(subject, MessageCodec.encode(m));
    } else {
      js.send(number, DurableChannel.messageId(ctx.serviceName(), ctx.epoch(), number), MessageCodec.encode(m));
    }
    gate.produced();
    nextNumber = gate.next();
    published = gate.producedCount();
    long s = schedule.sent(ctx.clock().nanos());
    if (s > 0) {
      skipped += s;
      LOG.debug("publisher '{}' fell behind; skipped {} send slot(s)", ctx.serviceName(), s);
    }
  }

  private boolean isActive() {
    lock.lock();
    try {
      return gate.active();
    } finally {
      lock.unlock();
    }
  }

  private static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
