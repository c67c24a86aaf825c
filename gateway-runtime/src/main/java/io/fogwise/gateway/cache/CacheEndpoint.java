package io.fogwise.gateway.cache;

import io.fogwise.protocol.DataChange;
import io.fogwise.protocol.DataReply;
import io.fogwise.protocol.DataRequest;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.MessageRejections;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's NATS side: devices' reads on {@code fw.gw.<gatewayId>.cache.get} ({@link DataRequest}
 * → {@link DataReply}) and the cloud's change announcements on {@link Subjects#CLOUD_DATA_CHANGES}.
 * A dispatcher of its own, so cache traffic never queues behind (or in front of) heartbeats; its
 * callbacks only decode and hand over, the answer is published when the read completes.
 */
public final class CacheEndpoint implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CacheEndpoint.class);
  /** The subject kind of device reads in {@link MessageRejections} and {@code fogwise_rejected_messages}. */
  public static final String READ_KIND = "cache";
  /** The subject kind of change announcements in {@link MessageRejections}. */
  public static final String CHANGE_KIND = "cache-change";

  private final Connection nats;
  private final Dispatcher dispatcher;

  private CacheEndpoint(Connection nats, Dispatcher dispatcher) {
    this.nats = nats;
    this.dispatcher = dispatcher;
  }

  /** Subscribes; {@link #close} unsubscribes. */
  public static CacheEndpoint serve(Connection nats, String gatewayId, CloudCache cache, MessageRejections rejections) {
    Objects.requireNonNull(nats, "nats");
    Objects.requireNonNull(cache, "cache");
    Objects.requireNonNull(rejections, "rejections");
    Dispatcher d = nats.createDispatcher();
    CacheEndpoint endpoint = new CacheEndpoint(nats, d);
    d.subscribe(Subjects.cacheGet(gatewayId), msg -> endpoint.read(msg, cache, rejections));
    d.subscribe(Subjects.CLOUD_DATA_CHANGES, msg -> {
      try {
        io.fogwise.protocol.Relayed.check(msg);
        cache.changed(MessageCodec.decode(msg.getData(), DataChange.class));
      } catch (RejectedMessageException e) {
        rejections.reject(CHANGE_KIND, msg.getSubject(), e);
      }
    });
    return endpoint;
  }

  private void read(Message msg, CloudCache cache, MessageRejections rejections) {
    String replyTo = msg.getReplyTo();
    DataRequest req;
    try {
      io.fogwise.protocol.Relayed.check(msg);
      req = MessageCodec.decode(msg.getData(), DataRequest.class);
    } catch (RejectedMessageException e) {
      rejections.reject(READ_KIND, msg.getSubject(), e);
      reply(replyTo, DataReply.error("", "malformed cache request (" + e.reason().tag() + "): " + e.getMessage()));
      return;
    }
    if (replyTo == null) {
      return; // a read nobody waits for
    }
    cache.read(req.key()).whenComplete((r, err) -> reply(replyTo, err != null
        ? DataReply.error(req.key(), "cache read failed: " + err) : r.reply()));
  }

  private void reply(String replyTo, DataReply reply) {
    if (replyTo == null) {
      return;
    }
    try {
      nats.publish(replyTo, MessageCodec.encode(reply));
    } catch (IllegalArgumentException tooLarge) {
      // a value larger than the hub's max payload can only be read over HTTP
      nats.publish(replyTo, MessageCodec.encode(DataReply.error(reply.key(), "the value of '" + reply.key()
          + "' exceeds the hub's max payload (" + nats.getMaxPayload() + " bytes); read it over HTTP GET /cache/"
          + reply.key())));
    } catch (IllegalStateException closed) {
      LOG.debug("cache reply to {} not sent: {}", replyTo, closed.getMessage());
    }
  }

  @Override
  public void close() {
    try {
      nats.closeDispatcher(dispatcher);
    } catch (IllegalStateException alreadyClosed) {
      // the connection closed first
    }
  }
}
