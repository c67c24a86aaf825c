package io.fogwise.protocol;

import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import io.nats.client.Options;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place NATS connection options are built, so every component connects the same way
 * (and credentials or TLS, when they come, are added here once). Two kinds: long-lived
 * components that reconnect fast and report problems in one line, and one-shot commands that
 * either reach NATS now or fail.
 */
public final class NatsOptions {
  /** 250 ms: jnats' default of 2 s would add 2 s to every hub restart (measured ≈ 290 ms to reconnect at 250 ms). */
  public static final Duration RECONNECT_WAIT = Duration.ofMillis(250);
  /** How long a component waits for the first connection. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  private static final Logger LOG = LoggerFactory.getLogger(NatsOptions.class);

  private NatsOptions() {}

  /**
   * Options for a long-lived component named {@code name}: reconnects forever every
   * {@link #RECONNECT_WAIT}, logs disconnects and reconnects at INFO and errors in one line
   * (jnats' default listener logs SEVERE with a stack trace on every disconnect). Callers may
   * replace the listeners on the returned builder.
   */
  public static Options.Builder component(String url, String name, NatsAuth auth) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(auth, "auth");
    return auth.applyTo(new Options.Builder())
        .server(url)
        .connectionName(name)
        .reconnectWait(RECONNECT_WAIT)
        .maxReconnects(-1)
        .connectionTimeout(CONNECT_TIMEOUT)
        .connectionListener((conn, type) -> {
          if (type == ConnectionListener.Events.DISCONNECTED || type == ConnectionListener.Events.RECONNECTED) {
            LOG.info("{}: NATS {}", name, type.name().toLowerCase());
          }
        })
        .errorListener(new ErrorListener() {
          @Override
          public void errorOccurred(Connection conn, String error) {
            LOG.warn("{}: NATS error: {}", name, error);
          }

          @Override
          public void exceptionOccurred(Connection conn, Exception exp) {
            LOG.debug("{}: NATS connection problem: {}", name, exp.toString());
          }

          @Override
          public void slowConsumerDetected(Connection conn, Consumer consumer) {
            LOG.warn("{}: slow consumer, messages dropped", name);
          }
        });
  }

  /**
   * Options for a one-shot command: no reconnect, and silent listeners, because a failure
   * surfaces as the exception of the call, not as log noise.
   *
   * @throws IllegalArgumentException if {@code url} is not a NATS URL
   */
  public static Options.Builder oneShot(String url, Duration timeout, NatsAuth auth) {
    Objects.requireNonNull(auth, "auth");
    return auth.applyTo(new Options.Builder())
        .server(url)
        .connectionName("fogwise-cli")
        .connectionTimeout(timeout)
        .noReconnect()
        .connectionListener((conn, type) -> { })
        .errorListener(new ErrorListener() { });
  }
}
