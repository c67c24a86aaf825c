package io.fogwise.gateway.core.orchestrator;

import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * For tests whose fake fleet speaks the edge agent's commands: turns each intent into the
 * command the {@code process} adapter would send, and the reply back into the intent's
 * outcome (a refusal, or no reply at all).
 */
public abstract class CommandOrchestrator implements Orchestrator {
  private final AtomicLong requests = new AtomicLong();

  /** Answers {@code command} sent to {@code deviceId}; completes exceptionally when nobody answers. */
  protected abstract CompletionStage<CommandReply> send(String deviceId, Command command);

  @Override
  public Set<Capability> capabilities() {
    return EnumSet.of(Capability.HANDOVER);
  }

  @Override
  public CompletionStage<Void> start(InstanceIntent i, StartMode mode) {
    Command c = mode == StartMode.STANDBY
        ? Command.standby(id(), i.service(), i.kind(), i.epoch(), i.config())
        : Command.start(id(), i.service(), i.kind(), i.epoch(), i.config());
    return call(i.deviceId(), c).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Void> stop(String service, long epoch, String deviceId) {
    return call(deviceId, Command.stop(id(), service, epoch)).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Long> handover(String service, long epoch, String deviceId) {
    return call(deviceId, Command.handover(id(), service, epoch)).thenApply(r -> r.nextNumber() == null ? 0 : r.nextNumber());
  }

  @Override
  public CompletionStage<Void> activate(String service, long epoch, String deviceId, long number) {
    return call(deviceId, Command.activate(id(), service, epoch, number)).thenApply(r -> null);
  }

  private String id() {
    return "test-" + requests.incrementAndGet();
  }

  private CompletionStage<CommandReply> call(String deviceId, Command c) {
    return send(deviceId, c).handle((reply, err) -> {
      if (err != null) {
        throw IntentFailedException.unreachable(err.getMessage(), err);
      }
      if (!reply.ok()) {
        throw IntentFailedException.refused(reply.error());
      }
      return reply;
    });
  }
}
