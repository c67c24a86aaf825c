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
 * commands by NATS request/reply on {@code fw.cmd.<deviceId>}.
 */
public final class ProcessOrchestrator extends CommandOrchestrator {
  private final Connection nats;
  private final Duration timeout;

  /** @param requestPrefix prefixes request ids, so an agent's log says which gateway asked (the gateway id) */
  public ProcessOrchestrator(Connection nats, Duration timeout, String requestPrefix) {
    super(requestPrefix);
    this.nats = Objects.requireNonNull(nats, "nats");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
  }

  @Override
  public String name() {
    return "process";
  }

  @Override
  protected CompletionStage<CommandReply> send(String deviceId, Command command) {
    CompletableFuture<CommandReply> out = new CompletableFuture<>();
    nats.requestWithTimeout(Subjects.command(deviceId), MessageCodec.encode(command), timeout)
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
