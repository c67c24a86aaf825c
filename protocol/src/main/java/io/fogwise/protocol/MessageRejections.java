package io.fogwise.protocol;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts rejected inbound messages by subject kind and reason and logs them at a bounded
 * rate (at most one line per second per component), so a flood of bad input neither
 * crashes nor drowns a component.
 */
public final class MessageRejections {
  private static final Logger LOG = LoggerFactory.getLogger(MessageRejections.class);
  private static final long LOG_INTERVAL_NANOS = 1_000_000_000L;

  private final String component;
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
  private final AtomicLong suppressed = new AtomicLong();
  private volatile BiConsumer<String, RejectReason> listener = (k, r) -> {};

  public MessageRejections(String component) {
    this.component = component;
  }

  /** Also tell {@code listener} (e.g. a metrics counter) about every rejection. */
  public void onRejection(BiConsumer<String, RejectReason> listener) {
    this.listener = listener;
  }

  /**
   * Records one rejection.
   *
   * @param kind the subject kind, e.g. {@code heartbeat}, used as a metric tag
   * @param subject the full subject the message came on, for the log line
   */
  public void reject(String kind, String subject, RejectedMessageException e) {
    counts.computeIfAbsent(kind + "/" + e.reason().tag(), k -> new LongAdder()).increment();
    listener.accept(kind, e.reason());
    long now = System.nanoTime();
    long last = lastLogNanos.get();
    if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
      long more = suppressed.getAndSet(0);
      LOG.warn(
          "{}: rejected message on {} ({}): {}{}",
          component,
          subject,
          e.reason().tag(),
          e.getMessage(),
          more > 0 ? " (+" + more + " more rejections not logged)" : "");
    } else {
      suppressed.incrementAndGet();
    }
  }

  /** Rejections of {@code kind} with {@code reason} so far. */
  public long count(String kind, RejectReason reason) {
    LongAdder a = counts.get(kind + "/" + reason.tag());
    return a == null ? 0 : a.sum();
  }

  /** All rejections so far. */
  public long total() {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** A sorted snapshot, keyed {@code kind/reason}. */
  public Map<String, Long> snapshot() {
    Map<String, Long> m = new TreeMap<>();
    counts.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }
}
