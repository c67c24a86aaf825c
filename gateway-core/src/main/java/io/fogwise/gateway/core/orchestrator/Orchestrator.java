package io.fogwise.gateway.core.orchestrator;

import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import java.util.concurrent.CompletionStage;

/**
 * Carries out start and stop commands on devices. The {@code process} adapter sends them to
 * edge agents over NATS; container adapters (docker, swarm) implement the same port.
 */
public interface Orchestrator extends AutoCloseable {

  /**
   * Sends {@code command} to {@code deviceId}. The stage completes with the device's reply, or
   * exceptionally when no reply came in time.
   */
  CompletionStage<CommandReply> send(String deviceId, Command command);

  /** The adapter's name, e.g. {@code process}. */
  String name();

  @Override
  default void close() {}
}
