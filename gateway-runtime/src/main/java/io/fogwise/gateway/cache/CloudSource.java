package io.fogwise.gateway.cache;

import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Message;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Where the cache loads items from: the cloud service. An answer is a {@link DataReply} with
 * the item or a not-found; anything else (no answer, no cloud service listening, an answer
 * that does not parse or says the cloud failed) completes the future with a {@link Failure}.
 */
public interface CloudSource {

  /** Asks for {@code key}; never throws, failures complete the future exceptionally. */
  CompletableFuture<DataReply> fetch(String key);

  /**
   * The cloud service over NATS request/reply on {@link Subjects#CLOUD_DATA_GET}, each request
   * given up after {@code timeout}.
   */
  static CloudSource nats(Connection nats, Duration timeout) {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("cloud request timeout must be > 0, got " + timeout);
    }
    return new NatsCloudSource(nats, timeout);
  }

  /** Why the cloud gave no usable answer. */
  final class Failure extends RuntimeException {
    /** What kind of failure; the lower-case name is the metric tag. */
    public enum Kind {
      /** No answer within the timeout. */
      TIMEOUT,
      /** Nobody listens on the subject: the cloud service is not running or not connected. */
      NO_RESPONDERS,
      /** The gateway's own connection is down or closed. */
      DISCONNECTED,
      /** An answer that is not a valid {@link DataReply} for the key asked for. */
      GARBAGE,
      /** A valid answer saying the cloud could not read the item. */
      ERROR;

      /** The metric tag. */
      public String tag() {
        return name().toLowerCase(java.util.Locale.ROOT);
      }

      /** Whether the cloud did not answer at all (as opposed to answering badly). */
      public boolean unreachable() {
        return this == TIMEOUT || this == NO_RESPONDERS || this == DISCONNECTED;
      }
    }

    private final Kind kind;

    public Failure(Kind kind, String message) {
      super(message, null, false, false);
      this.kind = Objects.requireNonNull(kind, "kind");
    }

    public Kind kind() {
      return kind;
    }

    /** {@code t} as a failure, unwrapping completion wrappers; anything unknown is an ERROR. */
    public static Failure of(Throwable t) {
      Throwable c = t;
      while ((c instanceof CompletionException || c instanceof java.util.concurrent.ExecutionException)
          && c.getCause() != null) {
        c = c.getCause();
      }
      if (c instanceof Failure f) {
        return f;
      }
      return new Failure(Kind.ERROR, String.valueOf(c));
    }
  }
}

/** Request/reply with the cloud service; decoding the answer is validating it. */
final class NatsCloudSource implements CloudSource {
  private final Connection nats;
  private final Duration timeout;

  NatsCloudSource(Connection nats, Duration timeout) {
    this.nats = nats;
    this.timeout = timeout;
  }

  @Override
  public CompletableFuture<DataReply> fetch(String key) {
    if (nats.getStatus() != Connection.Status.CONNECTED) {
      return CompletableFuture.failedFuture(new Failure(Failure.Kind.DISCONNECTED,
          "the gateway's NATS connection is " + nats.getStatus().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    CompletableFuture<Message> request;
    long sent = System.nanoTime(); // real time: it tells the hub's prompt "no responders" from a timeout
    try {
      request = nats.requestWithTimeout(Subjects.CLOUD_DATA_GET, MessageCodec.encode(new DataRequest(key)), timeout);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(new Failure(Failure.Kind.DISCONNECTED,
          "cannot ask the cloud: " + e.getMessage()));
    }
    // jnats enforces request timeouts on a cleanup timer (every few seconds); bound it here too
    CompletableFuture<Message> bounded = request.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
    bounded.whenComplete((m, e) -> {
      if (e != null) {
        request.cancel(false);
      }
    });
    return bounded.handle((msg, err) -> {
      if (err != null) {
        throw failure(err, System.nanoTime() - sent);
      }
      return decode(key, msg);
    });
  }

  private Failure failure(Throwable err, long elapsedNanos) {
    Throwable c = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    // jnats cancels a request at once when the hub reports no responders (status 503), unless the
    // connection was built with reportNoResponders; a cancellation before our timeout is that
    if (c instanceof CancellationException && elapsedNanos < timeout.toNanos()) {
      return new Failure(Failure.Kind.NO_RESPONDERS, "no cloud service listens on " + Subjects.CLOUD_DATA_GET);
    }
    if (c instanceof TimeoutException || c instanceof CancellationException) {
      return new Failure(Failure.Kind.TIMEOUT, "no answer on " + Subjects.CLOUD_DATA_GET + " within "
          + timeout.toMillis() + " ms");
    }
    String text = String.valueOf(c.getMessage());
    if (text.contains("503") || text.toLowerCase(java.util.Locale.ROOT).contains("no responders")) {
      return new Failure(Failure.Kind.NO_RESPONDERS, "no cloud service listens on " + Subjects.CLOUD_DATA_GET);
    }
    return new Failure(Failure.Kind.DISCONNECTED, "request on " + Subjects.CLOUD_DATA_GET + " failed: " + c);
  }

  private static DataReply decode(String key, Message msg) {
    if (msg.isStatusMessage()) {
      throw new Failure(msg.getStatus().getCode() == 503 ? Failure.Kind.NO_RESPONDERS : Failure.Kind.ERROR,
          "the cloud answered status " + msg.getStatus().getCode() + " " + msg.getStatus().getMessage());
    }
    DataReply reply;
    try {
      // the hub's max payload already bounds the size; values may exceed the control-message limit
      reply = MessageCodec.decode(msg.getData(), DataReply.class, Integer.MAX_VALUE);
    } catch (RejectedMessageException e) {
      throw new Failure(Failure.Kind.GARBAGE, "the cloud's answer for '" + key + "' is not a DataReply: "
          + e.getMessage());
    }
    if (!reply.key().equals(key) || (reply.item() != null && !reply.item().key().equals(key))) {
      throw new Failure(Failure.Kind.GARBAGE, "the cloud answered about key '" + reply.key() + "' when asked for '"
          + key + "'");
    }
    if (reply.item() == null && !reply.isNotFound()) {
      throw new Failure(Failure.Kind.ERROR, "the cloud could not read '" + key + "': " + reply.error());
    }
    return reply;
  }
}
