package io.fogwise.protocol;

import io.nats.client.Message;
import io.nats.client.impl.Headers;

/**
 * Refuses messages that the hub's JetStream sent to a subject some client chose. nats-server
 * 2.9 sends a JetStream API answer to whatever reply subject the request names, and a push
 * consumer's messages to whatever deliver subject its creator names, without checking either
 * against that client's permissions; a client that can write a bucket and read it back could so
 * have its own content delivered as a "command" or a "heartbeat". Such messages carry
 * JetStream's headers ({@code Nats-Stream}, {@code Nats-Sequence}, ...) or a {@code $JS.}
 * reply subject; the real senders' never do. Every receiver of commands, heartbeats, telemetry,
 * service requests and application data checks this first.
 */
public final class Relayed {
  private static final String[] JETSTREAM_HEADERS = {"Nats-Stream", "Nats-Sequence", "Nats-Subject",
      "Nats-Time-Stamp", "Nats-Last-Sequence"};

  private Relayed() {}

  /**
   * @throws RejectedMessageException ({@link RejectReason#RELAYED}) if JetStream relayed
   *     {@code msg}
   */
  public static void check(Message msg) throws RejectedMessageException {
    String reply = msg.getReplyTo();
    if (reply != null && reply.startsWith("$JS.")) {
      throw relayed("it is a JetStream consumer's delivery (reply subject " + Checks.abbreviate(reply) + ")");
    }
    Headers h = msg.getHeaders();
    if (h != null) {
      for (String name : JETSTREAM_HEADERS) {
        if (h.containsKeyIgnoreCase(name)) {
          throw relayed("it carries JetStream's header " + name);
        }
      }
    }
  }

  private static RejectedMessageException relayed(String why) {
    return new RejectedMessageException(RejectReason.RELAYED,
        "relayed by the hub's JetStream to a subject another client named, not sent by its owner: " + why);
  }
}
