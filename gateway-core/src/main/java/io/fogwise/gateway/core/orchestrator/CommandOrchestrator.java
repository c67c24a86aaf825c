package io.fogwise.gateway.core.orchestrator;

import io.fogwise.protocol.Command;
import io.fogwise.protocol.CommandReply;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An orchestrator whose devices speak the edge agent's commands ({@link Command} in,
 * {@link CommandReply} out): each intent becomes the command an agent understands, and the
 * reply becomes the intent's outcome — a refusal, or no answer at all. Agents can hand over.
 * The {@code process} adapter sends the commands over NATS; tests answer them in memory.
 */
public abstract class CommandOrchestrator implements Orchestrator {
  private final String requestPrefix;
  private final AtomicLong requests = new AtomicLong();

  /** @param requestPrefix prefixes request ids, so an agent's log says who asked (the gateway id) */
  protected CommandOrchestrator(String requestPrefix) {
    this.requestPrefix = Objects.requireNonNull(requestPrefix, "requestPrefix");
  }

  /**
   * Sends {@code command} to {@code deviceId}: the stage completes with the device's reply, or
   * exceptionally (with a message saying why) when no readable reply came.
   */
  protected abstract CompletionStage<CommandReply> send(String deviceId, Command command);

  @Override
  public Set<Capability> capabilities() {
    return EnumSet.of(Capability.HANDOVER);
  }

  @Override
  public CompletionStage<Void> start(InstanceIntent i, StartMode mode) {
    Command c = mode == StartMode.STANDBY
        ? Command.standby(nextId(), i.service(), i.kind(), i.epoch(), i.config())
        : Command.start(nextId(), i.service(), i.kind(), i.epoch(), i.config());
    c = c.withContainer(i.container());
    return call(i.deviceId(), c).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Void> stop(String service, long epoch, String deviceId) {
    return call(deviceId, Command.stop(nextId(), service, epoch)).thenApply(r -> null);
  }

  @Override
  public CompletionStage<Long> handover(String service, long epoch, String deviceId) {
    return call(deviceId, Command.handover(nextId(), service, epoch))
        .thenApply(r -> r.nextNumber() == null ? 0L : r.nextNumber());
  }

  @Override
  public CompletionStage<Void> activate(String service, long epoch, String deviceId, long number) {
    return call(deviceId, Command.activate(nextId(), service, epoch, number)).thenApply(r -> null);
  }

  protected String nextId() {
    return requestPrefix + "-" + requests.incrementAndGet();
  }

  private CompletionStage<CommandReply> call(String deviceId, Command c) {
    return send(deviceId, c).handle((reply, err) -> {
      if (err != null) {
        IntentFailedException f = IntentFailedException.of(err);
        throw f.refused() ? f : IntentFailedException.unreachable(f.getMessage(), err);
      }
      if (!reply.ok()) {
        throw IntentFailedException.refused(reply.error());
      }
      return reply;
    });
  }
}
