package io.fogwise.edge;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.MessageRejections;
import java.util.List;
import java.util.Optional;

/**
 * The agent of one device: heartbeats and telemetry to its gateway, and START/STOP commands
 * from it on {@code fw.cmd.<deviceId>}, hosting the services it is told to run.
 *
 * <p>Commands are taken off the NATS dispatcher and carried out one at a time on the agent's
 * control thread. A START is answered as soon as the instance's thread is started (the
 * factory has validated the configuration by then, so a bad configuration is an error reply);
 * whether the service then runs is visible in the heartbeats, which list every instance as
 * RUNNING or RESTARTING. A STOP is answered once the instance's thread has ended (at most
 * {@code 2 s}).
 */
public interface EdgeAgent extends AutoCloseable {

  /**
   * Connects to NATS and starts heartbeats, telemetry and command handling.
   *
   * @throws IllegalStateException if NATS cannot be reached at the configured URL
   */
  static EdgeAgent start(AgentConfig config) {
    return DefaultEdgeAgent.start(config);
  }

  /** This agent's device id. */
  String deviceId();

  /** The instances hosted now, sorted by service name, as the next heartbeat reports them. */
  List<InstanceReport> instances();

  /** The running service object of {@code service}, if hosted (e.g. to read a publisher's next number). */
  Optional<HostedService> service(String service);

  /** Commands rejected as unreadable, by kind {@code command} and reason. */
  MessageRejections rejections();

  /** Stops all services, heartbeats and telemetry, and closes the NATS connection; idempotent. */
  @Override
  void close();
}
