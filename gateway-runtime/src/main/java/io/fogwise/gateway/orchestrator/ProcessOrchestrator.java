package io.fogwise.gateway.orchestrator;

import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.RejectedMessageException;
import io.fogwise.protocol.Subjects;
import io.nats.client.Connection;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code process} orchestrator: edge agents host services in their own JVM and take
 * commands by NATS request/reply on {@code fw.cmd.<deviceId>}. Agents can hand over and
 * activate, so it has {@link Capability#HANDOVER}.
 */
public final class ProcessOrchestrator implements Orchestrator {
  private final Connection nats;
  private final Duration timeout;
  private final String requestPrefix;
  private final AtomicLong requests = new AtomicLong();

  /**
   * @param requestPrefix prefixes request ids, so an agent's log says which gateway asked (the gateway id)
   */
  public ProcessOrchestrator(Connection nats, Duration timeout, String requestPrefix) {
    this.nats = Objects.requireNonNull(nats, "nats");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.requestPrefix = Objects.requireNonNull(requestPrefix, "requestPrefix");
  }

  @Override
  public String name() {
    return "process";
  }

  @Override
  public Set<Capability> capabilities() {
    return EnumSet.of(Capability.HANDOVER);
  }

  @Override
  public CompletionStage<Void> start(InstanceIntent i, StartMode mode) {
    Command c = mode == StartMode.STANDBY
        ? Command.standby(nextId(), i.service(), i.kind(), i.epoch(), i.config())
        : Command.start(nextId(), i.service(), i.kind(), i.epoch(), i.config());
    return send(i.deviceId(), c).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Void> stop(String service, long epoch, String deviceId) {
    return send(deviceId, Command.stop(nextId(), service, epoch)).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Long> handover(String service, long epoch, String deviceId) {
    return send(deviceId, Command.handover(nextId(), service, epoch))
        .thenApply(r -> r.nextNumber() == null ? 0L : r.nextNumber());
  }

  @Override
  public CompletionStage<Void> activate(String service, long epoch, String deviceId, long number) {
    return send(deviceId, Command.activate(nextId(), service, epoch, number)).thenApply(r -> null);
  }

  private String nextId() {
    return requestPrefix + "-" + requests.incrementAndGet();
  }

  /** Sends a command; a refusal or a missing reply completes the stage with an {@link IntentFailedException}. */
  private CompletionStage<CommandReply> send(String deviceId, Command command) {
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
          CommandReply reply;
          try {
            reply = MessageCodec.decode(msg.getData(), CommandReply.class);
          } catch (RejectedMessageException e) {
            out.completeExceptionally(IntentFailedException.unreachable(
                "unreadable reply from " + deviceId + ": " + e.getMessage(), e));
            return;
          }
          if (reply.ok()) {
            out.complete(reply);
          } else {
            out.completeExceptionally(IntentFailedException.refused(reply.error()));
          }
        });
    return out;
  }
}
