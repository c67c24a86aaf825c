package io.fogwise.edge;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.ErrorListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection and error listeners that log one line per event through SLF4J, replacing
 * jnats's defaults (which log SEVERE, with stack traces, on every disconnect).
 */
final class NatsListeners implements ConnectionListener, ErrorListener {
  private static final Logger LOG = LoggerFactory.getLogger(NatsListeners.class);

  private final String deviceId;

  NatsListeners(String deviceId) {
    this.deviceId = deviceId;
  }

  @Override
  public void connectionEvent(Connection conn, Events type) {
    String server = conn == null ? "?" : String.valueOf(conn.getConnectedUrl());
    switch (type) {
      case CONNECTED:
        LOG.info("device {}: connected to NATS at {}", deviceId, server);
        break;
      case RECONNECTED:
        LOG.info("device {}: reconnected to NATS at {}", deviceId, server);
        break;
      case DISCONNECTED:
        LOG.warn("device {}: disconnected from NATS; reconnecting (heartbeats pause meanwhile)", deviceId);
        break;
      case CLOSED:
        LOG.debug("device {}: NATS connection closed", deviceId);
        break;
      default:
        LOG.debug("device {}: NATS {}", deviceId, type);
    }
  }

  @Override
  public void errorOccurred(Connection conn, String error) {
    LOG.warn("device {}: NATS server reported: {}", deviceId, error);
  }

  @Override
  public void exceptionOccurred(Connection conn, Exception exp) {
    if (conn != null && conn.getStatus() != Connection.Status.CONNECTED) {
      // while reconnecting every attempt fails; the DISCONNECTED line already said so
      LOG.debug("device {}: NATS connection problem while not connected: {}", deviceId, exp.toString());
    } else {
      LOG.warn("device {}: NATS connection problem: {}", deviceId, exp.toString());
    }
  }

  @Override
  public void slowConsumerDetected(Connection conn, Consumer consumer) {
    LOG.warn(
        "device {}: slow consumer, messages are being dropped ({} pending); a service cannot keep up",
        deviceId,
        consumer.getPendingMessageCount());
  }
}
