package io.fogwise.cloud.data;

import io.fogwise.protocol.DataItem;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@link DataRequest}s on {@value Subjects#CLOUD_DATA_GET} from a {@link DataStore}:
 * the item, a not-found answer, or an error. A request that cannot be read is counted in the
 * {@link MessageRejections} (kind {@value #KIND}) and answered with an error saying why. Reads
 * run on worker threads, off the NATS dispatcher.
 */
public final class DataResponder implements AutoCloseable {
  /** The rejection kind of malformed data requests (a metric tag). */
  public static final String KIND = "data-get";
  /**
   * The queue group every cloud service answers in, so that several of them share the requests
   * and each request is answered once.
   */
  public static final String QUEUE_GROUP = "fw-cloud";

  private static final Logger LOG = LoggerFactory.getLogger(DataResponder.class);
  private static final Duration STOP_GRACE = Duration.ofSeconds(5);
  /** Room for a reply's fields beside the value (key twice, content type, numbers): generous, 1 KiB. */
  private static final int REPLY_OVERHEAD_BYTES = 1024;

  private final Connection nats;
  private final DataStore store;
  private final MessageRejections rejections;
  private final ThreadPoolExecutor workers;
  private final Dispatcher dispatcher;
  private final LongAdder found = new LongAdder();
  private final LongAdder notFound = new LongAdder();
  private final LongAdder errors = new LongAdder();

  private DataResponder(Connection nats, DataStore store, MessageRejections rejections, int workers, int queue) {
    this.nats = nats;
    this.store = store;
    this.rejections = rejections;
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(workers, workers, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queue),
        r -> {
          Thread t = new Thread(r, "cloud-data-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.dispatcher = nats.createDispatcher(this::onRequest);
  }

  /**
   * Starts answering on {@code nats}; returns once the subscription is registered with the server.
   *
   * @param workers threads that read the store
   * @param queue requests that may wait for a thread; beyond that they are answered "busy"
   */
  public static DataResponder start(Connection nats, DataStore store, MessageRejections rejections, int workers,
      int queue, Duration timeout) {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(rejections, "rejections");
    DataResponder r = new DataResponder(nats, store, rejections, workers, queue);
    r.dispatcher.subscribe(Subjects.CLOUD_DATA_GET, QUEUE_GROUP);
    try {
      nats.flush(timeout);
    } catch (Exception e) {
      r.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new UncheckedIOException(new java.io.IOException("cannot subscribe to " + Subjects.CLOUD_DATA_GET
          + " on NATS " + nats.getConnectedUrl() + ": " + e, e));
    }
    return r;
  }

  /** Answers so far: items found, keys not found, errors (malformed requests included). */
  public record Stats(long found, long notFound, long errors) {}

  public Stats stats() {
    return new Stats(found.sum(), notFound.sum(), errors.sum());
  }

  private void onRequest(Message m) {
    String replyTo = m.getReplyTo();
    if (replyTo == null || replyTo.isEmpty()) {
      rejections.reject(KIND, m.getSubject(), new RejectedMessageException(RejectReason.MALFORMED,
          "DataRequest without a reply subject (use request/reply)"));
      return;
    }
    DataRequest request;
    try {
      request = MessageCodec.decode(m.getData(), DataRequest.class);
    } catch (RejectedMessageException e) {
      rejections.reject(KIND, m.getSubject(), e);
      // The key may be what is wrong, so the answer does not repeat it.
      reply(replyTo, DataReply.error("", "malformed request (" + e.reason().tag() + "): " + e.getMessage()));
      return;
    }
    try {
      workers.execute(() -> answer(request.key(), replyTo));
    } catch (RejectedExecutionException e) {
      reply(replyTo, DataReply.error(request.key(), "the cloud service is busy (" + workers.getQueue().size()
          + " requests waiting); try again"));
    }
  }

  private void answer(String key, String replyTo) {
    Optional<DataItem> item;
    try {
      // An item whose reply could not be one NATS message is not read at all (it may be 16 MiB).
      item = store.get(key, largestContentInOneReply());
    } catch (ItemTooLargeException e) {
      reply(replyTo, tooLarge(key, e.getMessage().replaceFirst(", over the limit.*$", "")));
      return;
    } catch (UncheckedIOException | IllegalStateException e) {
      LOG.debug("reading '{}' failed: {}", key, e.getMessage());
      reply(replyTo, DataReply.error(key, "the cloud could not read '" + key + "': " + e.getMessage()));
      return;
    }
    if (item.isEmpty()) {
      reply(replyTo, DataReply.notFound(key));
      return;
    }
    reply(replyTo, DataReply.found(item.get(), false, 0));
  }

  private void reply(String replyTo, DataReply reply) {
    byte[] bytes = MessageCodec.encode(reply);
    long max = nats.getMaxPayload();
    if (max > 0 && bytes.length > max) {
      DataItem i = reply.item();
      reply = tooLarge(reply.key(), "item '" + reply.key() + "' v" + i.version() + " is " + i.value().length
          + " bytes (" + bytes.length + " as a reply)");
      bytes = MessageCodec.encode(reply);
    }
    if (reply.item() != null) {
      found.increment();
    } else if (reply.isNotFound()) {
      notFound.increment();
    } else {
      errors.increment();
    }
    try {
      nats.publish(replyTo, bytes);
    } catch (IllegalStateException e) {
      LOG.debug("could not answer on {}: {}", replyTo, e.getMessage()); // connection closing
    }
  }

  /**
   * The largest content whose reply fits one NATS message of this hub: the value travels in
   * base64 (4 bytes per 3), beside the metadata.
   */
  private long largestContentInOneReply() {
    long max = nats.getMaxPayload();
    return max <= 0 ? Long.MAX_VALUE : Math.max(0, (max - REPLY_OVERHEAD_BYTES) / 4 * 3);
  }

  private DataReply tooLarge(String key, String what) {
    return DataReply.error(key, what + ": more than one NATS message may carry on this hub (max_payload "
        + nats.getMaxPayload() + " bytes); raise the hub's max_payload or keep items under "
        + DataLimits.describe(DataLimits.DEFAULT_INLINE_MAX_BYTES));
  }

  /** Stops answering; requests being read are answered first (for up to 5 s). */
  @Override
  public void close() {
    try {
      nats.closeDispatcher(dispatcher);
    } catch (IllegalStateException e) {
      // the connection is already closed
    }
    workers.shutdown();
    try {
      if (!workers.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
        workers.shutdownNow();
      }
    } catch (InterruptedException e) {
      workers.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
