package io.fogwise.gateway;

import io.fogwise.protocol.NatsOptions;
import io.fogwise.protocol.auth.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Nats;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Connects a gateway component with {@link NatsOptions#component}. */
final class NatsConnections {
  private static final Logger LOG = LoggerFactory.getLogger(NatsConnections.class);

  private NatsConnections() {}

  static Connection connect(String url, String name, NatsAuth auth) throws IOException, InterruptedException {
    return Nats.connect(NatsOptions.component(url, name, auth).build());
  }

  /**
   * Connects, telling {@code listener} about every connection event (disconnected, reconnected,
   * closed, ...) besides logging disconnects and reconnects.
   */
  static Connection connect(String url, String name, NatsAuth auth, ConnectionListener listener)
      throws IOException, InterruptedException {
    return Nats.connect(NatsOptions.component(url, name, auth).connectionListener((conn, type) -> {
      if (type == ConnectionListener.Events.DISCONNECTED || type == ConnectionListener.Events.RECONNECTED) {
        LOG.info("{}: NATS {}", name, type.name().toLowerCase());
      }
      listener.connectionEvent(conn, type);
    }).build());
  }
}
