package io.fogwise.cli;

import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.ServiceRequest;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.Subjects;
import io.fogwise.protocol.NatsOptions;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStreamStatusException;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Service requests to one gateway over NATS request/reply, for the {@code service} commands. */
final class GatewayClient implements AutoCloseable {
  private final Connection nats;
  private final String gatewayId;
  private final String subject;
  private final String natsUrl;
  private final Duration timeout;

  private GatewayClient(Connection nats, String gatewayId, String natsUrl, Duration timeout) {
    this.nats = nats;
    this.gatewayId = gatewayId;
    this.subject = Subjects.services(gatewayId);
    this.natsUrl = natsUrl;
    this.timeout = timeout;
  }

  /** A reply and its raw bytes (for {@code --json}). */
  record Reply(ServiceResponse response, String raw) {}

  /** Connects once, without reconnecting: a CLI call either reaches NATS now or says it cannot. */
  static GatewayClient connect(String natsUrl, String gatewayId, Duration timeout,
      io.fogwise.protocol.auth.NatsAuth auth) throws CliFailure {
    return connect(natsUrl, gatewayId, timeout, auth, null);
  }

  /**
   * As {@link #connect(String, String, Duration, io.fogwise.protocol.auth.NatsAuth)}; with a
   * {@code listener} (a command that runs until Ctrl-C, such as {@code events --follow}) the
   * first connection must still succeed now, but a lost one is re-established for as long as it
   * runs, and the listener hears of each disconnect and reconnect.
   */
  static GatewayClient connect(String natsUrl, String gatewayId, Duration timeout,
      io.fogwise.protocol.auth.NatsAuth auth, io.nats.client.ConnectionListener listener) throws CliFailure {
    try {
      Subjects.services(gatewayId);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, "not a valid gateway id: '" + gatewayId + "'");
    }
    Options options;
    try {
      Options.Builder b = NatsOptions.oneShot(natsUrl, timeout, auth).reportNoResponders();
      if (listener != null) {
        b.maxReconnects(-1).reconnectWait(NatsOptions.RECONNECT_WAIT).connectionListener(listener);
      }
      options = b.build();
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, "not a valid NATS URL: '" + natsUrl + "' (" + e.getMessage() + ")");
    }
    try {
      return new GatewayClient(Nats.connect(options), gatewayId, natsUrl, timeout);
    } catch (IOException e) {
      throw new CliFailure(3, "cannot reach NATS at " + natsUrl + " (" + e.getMessage()
          + "); is the hub running (fogwise hub)? set --nats or FW_NATS_URL");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(3, "interrupted while connecting to NATS at " + natsUrl);
    }
  }

  /**
   * Creates the stream (and a subscriber's consumer) a spec's durable channel needs, where the
   * gateway's devices publish ({@link io.fogwise.protocol.DurableStreams#provision}); a
   * core-only spec needs nothing.
   *
   * @return where they were made, or empty
   */
  java.util.Optional<String> provisionDurable(io.fogwise.protocol.ServiceSpec spec) throws CliFailure {
    try {
      return io.fogwise.protocol.DurableStreams.provision(nats, gatewayId, spec);
    } catch (java.io.IOException e) {
      throw new CliFailure(3, e.getMessage() + " (durable channels are created with the operator's credentials)");
    }
  }

  /** Sends {@code request} and waits for the gateway's answer. */
  Reply send(ServiceRequest request) throws CliFailure {
    Message reply;
    try {
      reply = nats.requestWithTimeout(subject, MessageCodec.encode(request), timeout)
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof JetStreamStatusException) {
        // NATS says at once that nobody is subscribed: no gateway of that id is connected.
        throw noAnswer(": nothing is subscribed there");
      }
      throw new CliFailure(3, "request to gateway " + gatewayId + " on " + subject + " failed: " + e.getCause());
    } catch (TimeoutException | CancellationException e) {
      throw noAnswer("");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CliFailure(3, "interrupted while waiting for gateway " + gatewayId);
    }
    String raw = new String(reply.getData(), StandardCharsets.UTF_8);
    try {
      return new Reply(MessageCodec.decode(reply.getData(), ServiceResponse.class), raw);
    } catch (RejectedMessageException e) {
      throw new CliFailure(1, "gateway " + gatewayId + " sent an unreadable answer: " + e.getMessage());
    }
  }

  private CliFailure noAnswer(String detail) {
    return new CliFailure(3, "no answer from gateway " + gatewayId + " on " + subject + " within "
        + seconds(timeout) + detail + " (is it running, and if it runs its site's NATS as a leaf node, is the site"
        + " linked to the cloud? --nats " + natsUrl + ", --gateway " + gatewayId + ")");
  }

  /**
   * Calls {@code onEvent} with every adaptation event the gateway publishes from now on (on a
   * NATS thread), until this client is closed; an event that does not decode is skipped.
   */
  void followEvents(java.util.function.Consumer<io.fogwise.protocol.AdaptationEvent> onEvent) {
    io.nats.client.Dispatcher d = nats.createDispatcher(msg -> {
      try {
        onEvent.accept(MessageCodec.decode(msg.getData(), io.fogwise.protocol.AdaptationEvent.class));
      } catch (RejectedMessageException e) {
        // not an event this CLI can read (a newer gateway): nothing to show
      }
    });
    d.subscribe(Subjects.events(gatewayId));
    try {
      nats.flush(timeout);
    } catch (TimeoutException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  String gatewayId() {
    return gatewayId;
  }

  static String seconds(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  @Override
  public void close() {
    try {
      nats.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A command failure with its exit code and the one line to print. */
  static final class CliFailure extends Exception {
    private final int exitCode;

    CliFailure(int exitCode, String message) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }

    int exitCode() {
      return exitCode;
    }
  }
}
