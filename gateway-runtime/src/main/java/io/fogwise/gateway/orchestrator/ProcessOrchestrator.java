package io.fogwise.gateway.orchestrator;

import io.fogwise.gateway.core.orchestrator.CommandOrchestrator;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The {@code process} orchestrator: edge agents host services in their own JVM and take
 * commands by NATS request/reply on {@code fw.cmd.<gatewayId>.<deviceId>}. With an
 * {@link InstanceCredentials} source, every START carries the instance's own short-lived NATS
 * credentials, so the instance can use its service's data subjects and nothing else.
 */
public final class ProcessOrchestrator extends CommandOrchestrator {
  private final Connection nats;
  private final Duration timeout;
  private final String gatewayId;
  private final InstanceCredentials credentials;

  /**
   * @param gatewayId the gateway whose devices this commands; also prefixes request ids, so an
   *     agent's log says which gateway asked
   * @param credentials mints each started instance's credentials ({@link InstanceCredentials#none()} when the hub runs without authentication)
   */
  public ProcessOrchestrator(Connection nats, Duration timeout, String gatewayId, InstanceCredentials credentials) {
    super(gatewayId);
    this.nats = Objects.requireNonNull(nats, "nats");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.gatewayId = Objects.requireNonNull(gatewayId, "gatewayId");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
  }

  @Override
  public String name() {
    return "process";
  }

  @Override
  protected CompletionStage<CommandReply> send(String deviceId, Command command) {
    CompletableFuture<CommandReply> out = new CompletableFuture<>();
    Command sent;
    try {
      sent = command.action() == Command.Action.START ? credentials.attach(command) : command;
    } catch (RuntimeException e) {
      out.completeExceptionally(IntentFailedException.refused(
          "cannot issue credentials for " + command.service() + ": " + e.getMessage()));
      return out;
    }
    nats.requestWithTimeout(Subjects.command(gatewayId, deviceId), MessageCodec.encode(sent), timeout)
        .whenComplete((msg, err) -> {
          if (err != null) {
            Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            out.completeExceptionally(IntentFailedException.unreachable(
                "no reply from " + deviceId + " to " + command.action() + " " + command.service()
                    + " within " + timeout.toMillis() + " ms (" + cause.getClass().getSimpleName() + ")", cause));
            return;
          }
          try {
            out.complete(MessageCodec.decode(msg.getData(), CommandReply.class));
          } catch (RejectedMessageException e) {
            out.completeExceptionally(IntentFailedException.unreachable(
                "unreadable reply from " + deviceId + ": " + e.getMessage(), e));
          }
        });
    return out;
  }
}
