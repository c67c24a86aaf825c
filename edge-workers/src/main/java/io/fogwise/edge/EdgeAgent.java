package io.fogwise.edge;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.MessageRejections;
import java.util.List;
import java.util.Optional;

/**
 * The agent of one device: heartbeats and telemetry to its gateway, and commands from it on
 * {@code fw.cmd.<deviceId>}, hosting the services it is told to run.
 *
 * <p>Commands are taken off the NATS dispatcher and carried out one at a time on the agent's
 * control thread. A START is answered as soon as the instance's thread is started (the
 * factory has validated the configuration by then, so a bad configuration is an error reply);
 * whether the service then runs is visible in the heartbeats, which list every instance as
 * RUNNING, RESTARTING or STANDBY, with its output count if it keeps one. A repeated START of
 * the running epoch is a no-op, whatever its {@code standby} flag. A STOP is answered once the
 * instance's thread has ended (at most {@code 2 s}).
 *
 * <p>Planned migration: a START with {@code standby} starts the instance idle (STANDBY); a
 * HANDOVER stops an instance's output, keeps it running in STANDBY, and is answered, after a
 * flush of the connection, with the number its successor continues from; an ACTIVATE starts
 * or resumes output from a given number and reports the instance RUNNING (a repeated ACTIVATE
 * changes nothing). Pausing is up to the service ({@link Handover}): one that cannot pause,
 * such as the subscriber, keeps working and only its reported state changes, and its HANDOVER
 * reply carries no number. HANDOVER, ACTIVATE and STOP of an instance not hosted with that
 * epoch are error replies naming service, epoch and device.
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
