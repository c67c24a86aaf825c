package io.fogwise.edge.services;

import io.fogwise.edge.HostedService;
import io.fogwise.edge.ServiceContext;
import io.fogwise.edge.ServiceFactory;
import io.fogwise.protocol.AppMessage;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The paper's publisher: sends numbered {@link AppMessage}s to {@code fw.data.<app>.<channel>}
 * at a fixed rate. Configuration: {@code app} (default {@value #DEFAULT_APP}), {@code channel}
 * (default {@value #DEFAULT_CHANNEL}), {@code rateHz} (default 100, at most 10000) and
 * {@code startNumber} (default 0; a handover continues from the old instance's next number).
 *
 * <p>Numbers increase by one per message and survive a crash-restart of the instance.
 */
public final class Publisher implements HostedService {
  private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

  /** The kind name in START commands. */
  public static final String KIND = "publisher";
  public static final String DEFAULT_APP = "demo";
  public static final String DEFAULT_CHANNEL = "readings";
  public static final double DEFAULT_RATE_HZ = 100;
  public static final double MAX_RATE_HZ = 10_000;

  private final ServiceContext ctx;
  private final String subject;
  private final double rateHz;
  private final AtomicLong next;
  private final AtomicLong skipped = new AtomicLong();

  private Publisher(ServiceContext ctx) {
    this.ctx = ctx;
    String app = ctx.configString("app", DEFAULT_APP);
    String channel = ctx.configString("channel", DEFAULT_CHANNEL);
    try {
      this.subject = Subjects.data(app, channel);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("service '" + ctx.serviceName() + "': " + e.getMessage(), e);
    }
    this.rateHz = ctx.configDouble("rateHz", DEFAULT_RATE_HZ, 0, MAX_RATE_HZ);
    this.next = new AtomicLong(ctx.configLong("startNumber", 0, 0, Long.MAX_VALUE - 1));
  }

  /** The factory of kind {@value #KIND}. */
  public static ServiceFactory factory() {
    return Publisher::new;
  }

  /** The number the next message will carry (what a handover passes on as startNumber). */
  public long nextNumber() {
    return next.get();
  }

  /** The data subject this publisher sends to. */
  public String subject() {
    return subject;
  }

  @Override
  public void run() throws InterruptedException {
    Connection nc = ctx.connection();
    long period = RateSchedule.periodNanos(rateHz);
    RateSchedule schedule = new RateSchedule(ctx.clock().nanos(), period);
    LOG.info(
        "publisher '{}' epoch {} on {}: {} at {} Hz from number {}",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), subject, rateHz, next.get());
    while (!ctx.isStopping()) {
      long wait = schedule.deadline() - ctx.clock().nanos();
      if (wait > 0) {
        if (ctx.awaitStop(Duration.ofNanos(wait))) {
          break;
        }
        continue;
      }
      long number = next.get();
      AppMessage m = new AppMessage(ctx.deviceId(), ctx.serviceName(), ctx.epoch(), number, wallNanos());
      nc.publish(subject, MessageCodec.encode(m));
      next.set(number + 1);
      long s = schedule.sent(ctx.clock().nanos());
      if (s > 0) {
        skipped.addAndGet(s);
        LOG.debug("publisher '{}' fell behind; skipped {} send slot(s)", ctx.serviceName(), s);
      }
    }
    LOG.info(
        "publisher '{}' epoch {} on {} stopped at number {} ({} slot(s) skipped while behind)",
        ctx.serviceName(), ctx.epoch(), ctx.deviceId(), next.get(), skipped.get());
  }

  private static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
