package io.fogwise.cloud.publish;

import io.fogwise.cloud.mining.MiningResult;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectReason;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.time.Clock;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code fogwise cloud mine --now} on {@value Subjects#CLOUD_MINE}: runs a pass through
 * the miner (the leader's {@code runNow}), publishes its result through {@link Proposals} and
 * replies with a {@link MineReply}. Instances subscribe in one queue group, so each request runs
 * one pass. The request body is the reason (text, for the log).
 */
public final class MineRequests implements AutoCloseable {
  /** The queue group of every cloud instance's responder. */
  public static final String QUEUE = "fw-cloud-mine";
  /** The longest reason kept from a request; longer ones are cut. */
  public static final int MAX_WHY = 200;
  /** The kind under which unanswerable requests are counted. */
  public static final String KIND = "mine-request";

  private static final Logger LOG = LoggerFactory.getLogger(MineRequests.class);

  private final Connection nats;
  private final Dispatcher dispatcher;
  // proposing compiles rules and makes NATS round trips: not on the NATS or the miner's thread
  private final ExecutorService publishing;

  private MineRequests(Connection nats, Dispatcher dispatcher, ExecutorService publishing) {
    this.nats = nats;
    this.dispatcher = dispatcher;
    this.publishing = publishing;
  }

  /**
   * Starts answering.
   *
   * @param miner runs a pass for the reason given and completes with its result
   * @param proposals publishes a pass's result
   * @param rejections counts requests without a reply subject
   * @param confirm how long the server has to confirm the subscription
   */
  public static MineRequests start(Connection nats, Function<String, CompletableFuture<MiningResult>> miner,
      Proposals proposals, MessageRejections rejections, Clock clock, Duration confirm)
      throws TimeoutException, InterruptedException {
    return start(nats, miner, proposals::propose, rejections, clock, confirm);
  }

  /**
   * Starts listening on every instance of a miner that has a leader: a request is answered only
   * where {@code answers} holds at its arrival (the leading instance), so it runs one pass, and
   * where the lease is; with no leader nobody answers and the caller says so.
   */
  public static MineRequests start(Connection nats, Function<String, CompletableFuture<MiningResult>> miner,
      java.util.function.BooleanSupplier answers, Proposals proposals, MessageRejections rejections, Clock clock,
      Duration confirm) throws TimeoutException, InterruptedException {
    return start(nats, miner, answers, proposals::propose, rejections, clock, confirm);
  }

  /** As {@link #start(Connection, Function, Proposals, MessageRejections, Clock, Duration)}, publishing with {@code publisher}. */
  static MineRequests start(Connection nats, Function<String, CompletableFuture<MiningResult>> miner,
      Function<MiningResult, Proposal> publisher, MessageRejections rejections, Clock clock, Duration confirm)
      throws TimeoutException, InterruptedException {
    return start(nats, miner, null, publisher, rejections, clock, confirm);
  }

  private static MineRequests start(Connection nats, Function<String, CompletableFuture<MiningResult>> miner,
      java.util.function.BooleanSupplier answers, Function<MiningResult, Proposal> publisher,
      MessageRejections rejections, Clock clock, Duration confirm) throws TimeoutException, InterruptedException {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(miner, "miner");
    Objects.requireNonNull(publisher, "publisher");
    Objects.requireNonNull(rejections, "rejections");
    Objects.requireNonNull(clock, "clock");
    ExecutorService publishing = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "fogwise-mine-publish");
      t.setDaemon(true);
      return t;
    });
    Dispatcher d = nats.createDispatcher(m -> {
      if (answers == null || answers.getAsBoolean()) {
        handle(nats, m, miner, publisher, rejections, clock, publishing);
      }
    });
    if (answers == null) {
      d.subscribe(Subjects.CLOUD_MINE, QUEUE);
    } else {
      d.subscribe(Subjects.CLOUD_MINE);
    }
    try {
      nats.flush(confirm);
    } catch (TimeoutException | InterruptedException e) {
      nats.closeDispatcher(d);
      publishing.shutdownNow();
      throw e;
    }
    LOG.info("answering mining requests on {}", Subjects.CLOUD_MINE);
    return new MineRequests(nats, d, publishing);
  }

  private static void handle(Connection nats, Message m, Function<String, CompletableFuture<MiningResult>> miner,
      Function<MiningResult, Proposal> publisher, MessageRejections rejections, Clock clock, ExecutorService publishing) {
    String replyTo = m.getReplyTo();
    if (replyTo == null || replyTo.isEmpty()) {
      rejections.reject(KIND, m.getSubject(), new RejectedMessageException(RejectReason.MISSING_FIELD, "reply",
          "a mining request needs a reply subject (use request/reply)"));
      return;
    }
    String why = m.getData() == null ? "" : new String(m.getData(), StandardCharsets.UTF_8).strip()
        .replaceAll("\\p{Cntrl}", " ");
    if (why.length() > MAX_WHY) {
      why = why.substring(0, MAX_WHY);
    }
    String reason = why.isEmpty() ? "requested on " + Subjects.CLOUD_MINE : why;
    LOG.info("mining pass requested: {}", reason);
    CompletableFuture<MiningResult> pass;
    try {
      pass = miner.apply(reason);
    } catch (RuntimeException e) {
      pass = CompletableFuture.failedFuture(e);
    }
    pass.thenApplyAsync(r -> MineReply.of(r, publisher.apply(r)), publishing)
        .exceptionally(e -> {
          Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
          LOG.warn("mining pass ({}) failed: {}", reason, cause.toString());
          return MineReply.failed(clock.wallMillis(), "the mining pass failed: " + cause.getMessage());
        })
        .thenAccept(reply -> nats.publish(replyTo, MessageCodec.encode(reply)));
  }

  /** Stops answering. */
  @Override
  public void close() {
    if (nats.getStatus() != Connection.Status.CLOSED) {
      nats.closeDispatcher(dispatcher);
    }
    publishing.shutdownNow();
  }
}
