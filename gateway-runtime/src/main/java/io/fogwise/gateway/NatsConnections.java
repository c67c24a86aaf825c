package io.fogwise.gateway;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** NATS connections as Fogwise components want them: fast reconnects, one-line reports. */
final class NatsConnections {
  private static final Logger LOG = LoggerFactory.getLogger(NatsConnections.class);

  private NatsConnections() {}

  static Connection connect(String url, String name) throws IOException, InterruptedException {
    Options options = new Options.Builder()
        .server(url)
        .connectionName(name)
        .reconnectWait(Duration.ofMillis(250))
        .maxReconnects(-1)
        .connectionTimeout(Duration.ofSeconds(5))
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
          public void slowConsumerDetected(Connection conn, io.nats.client.Consumer consumer) {
            LOG.warn("{}: slow consumer, messages dropped", name);
          }
        })
        .build();
    return Nats.connect(options);
  }
}
