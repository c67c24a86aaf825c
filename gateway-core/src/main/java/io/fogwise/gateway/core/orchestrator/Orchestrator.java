package io.fogwise.gateway.core.orchestrator;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Runs service instances on devices, as intents: start this instance (service, version, epoch)
 * on that device, stop it. How is the adapter's business: the {@code process} adapter asks an
 * edge agent over NATS, container adapters ask a Docker engine or a Swarm. What runs is
 * learnt from devices' reports (heartbeats), not from these replies, so a lost reply is
 * repaired by the reconciler's next pass.
 *
 * <p>Every stage completes normally when the intent was carried out and exceptionally with an
 * {@link IntentFailedException} saying why when it was not. Make-before-break hand-over with
 * continuous numbering is an optional {@link Capability}; without it the reconciler moves a
 * service by starting the new instance, waiting until it is reported running, then stopping
 * the old one.
 */
public interface Orchestrator extends AutoCloseable {

  /** Optional things an adapter can do. */
  enum Capability {
    /**
     * Start an instance idle ({@link StartMode#STANDBY}), make a running one stop producing and
     * say where its numbering stopped ({@link #handover}), and make an idle one produce from a
     * number ({@link #activate}): a move without a gap or a duplicate.
     */
    HANDOVER,
    /**
     * Move a running instance to another device itself, make-before-break ({@link #relocate}): the
     * {@code swarm} adapter updates the Swarm service's placement constraint and epoch and Swarm
     * starts the new task before it stops the old one.
     */
    RELOCATE
  }

  /** How an instance starts. */
  enum StartMode {
    /** Producing at once. */
    ACTIVE,
    /** Running but idle until {@link #activate}; needs {@link Capability#HANDOVER}. */
    STANDBY
  }

  /** The adapter's name, e.g. {@code process}, {@code docker}, {@code swarm}, {@code memory}. */
  String name();

  /** What this adapter can do beyond start and stop. */
  Set<Capability> capabilities();

  /**
   * Starts {@code intent}. Starting an instance that already runs with the same epoch on the
   * same device succeeds without starting a second one.
   */
  CompletionStage<Void> start(InstanceIntent intent, StartMode mode);

  /**
   * Stops the instance of {@code service} with {@code epoch} on {@code deviceId}. Only that
   * epoch: an instance of another epoch keeps running. Stopping an epoch that does not run
   * there may succeed or be refused (the process adapter refuses, naming the epoch); either way
   * nothing else is stopped.
   */
  CompletionStage<Void> stop(String service, long epoch, String deviceId);

  /**
   * Makes the running instance stop producing, keeping it alive, and returns the number its
   * successor continues from. Only with {@link Capability#HANDOVER}.
   */
  default CompletionStage<Long> handover(String service, long epoch, String deviceId) {
    return unsupported("handover");
  }

  /** Makes an idle instance produce, continuing from {@code number}. Only with {@link Capability#HANDOVER}. */
  default CompletionStage<Void> activate(String service, long epoch, String deviceId, long number) {
    return unsupported("activate");
  }

  /**
   * Moves the running instance of {@code service} with {@code epoch} on {@code fromDevice} to
   * {@code to} (its device and epoch), the new one running before the old one stops; completes
   * when the new one runs. On failure the old one keeps running. Only with {@link Capability#RELOCATE}.
   */
  default CompletionStage<Void> relocate(String service, long epoch, String fromDevice, InstanceIntent to) {
    return unsupported("relocate");
  }

  /** Whether this adapter has {@code c}. */
  default boolean can(Capability c) {
    return capabilities().contains(c);
  }

  @Override
  default void close() {}

  private <T> CompletionStage<T> unsupported(String what) {
    return CompletableFuture.failedFuture(IntentFailedException.refused(
        "the " + name() + " orchestrator cannot " + what + " (no HANDOVER capability)"));
  }
}
