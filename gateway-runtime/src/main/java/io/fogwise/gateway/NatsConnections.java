package io.fogwise.gateway;

import io.fogwise.protocol.NatsOptions;
import io.nats.client.Connection;
import io.nats.client.Nats;
import java.io.IOException;

/** Connects a gateway component with {@link NatsOptions#component}. */
final class NatsConnections {
  private NatsConnections() {}

  static Connection connect(String url, String name) throws IOException, InterruptedException {
    return Nats.connect(NatsOptions.component(url, name).build());
  }
}
