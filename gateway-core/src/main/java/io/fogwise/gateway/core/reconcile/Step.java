package io.fogwise.gateway.core.reconcile;

import io.fogwise.protocol.ServiceSpec;

/** One thing the reconciler wants done by the orchestrator, or recorded as an event. */
public sealed interface Step {

  /** Start {@code spec} on {@code deviceId} with {@code epoch}. */
  record Start(ServiceSpec spec, String deviceId, long epoch) implements Step {}

  /** Stop the instance of {@code service} with {@code epoch} on {@code deviceId}. */
  record Stop(String service, String deviceId, long epoch, StopReason reason) implements Step {}

  /**
   * Move {@code from} to {@code to}, make-before-break, the way {@code strategy} says.
   */
  record Migrate(ServiceSpec spec, Placement from, Placement to, Strategy strategy) implements Step {}

  /** How a planned move is made, chosen by what the orchestrator can do. */
  enum Strategy {
    /**
     * Start {@code to} idle, hand the output (and its numbering) over from {@code from},
     * activate {@code to}, then stop {@code from}: no gap, no duplicate.
     */
    HANDOVER,
    /** Start {@code to}, wait until it is reported running, then stop {@code from} (both run for a moment). */
    START_THEN_STOP,
    /** The orchestrator moves {@code from} to {@code to} itself, start-first (a Swarm constraint update). */
    RELOCATE
  }

  /** A placement was given up without a command (its device is lost and was excluded). */
  record Abandon(Placement placement, String reason) implements Step {}

  /** A start was not confirmed in time or was refused; the service will be placed again. */
  record StartFailed(Placement placement, String reason) implements Step {}

  /**
   * A policy exclusion of {@code service} from {@code deviceId} was lifted by the reconciler:
   * the device is the only one left that can run it, and a service with nowhere to run is
   * worse than one on a device it was moved away from.
   */
  record LiftExclusion(String service, String deviceId, String reason) implements Step {}

  /** A placement was confirmed by its device's heartbeat. */
  record Started(Placement placement) implements Step {}

  /** Why an instance is stopped. */
  enum StopReason {
    /** Its device was excluded from the service. */
    EXCLUDED,
    /** The device runs an instance the gateway did not place (stale epoch, returning device). */
    FENCED,
    /** More instances than replicas. */
    SCALE_DOWN,
    /** The service was deleted. */
    DELETED,
    /** The start was not confirmed in time; stopped in case it started late. */
    START_TIMEOUT,
    /** A rule asked for the instance to be replaced. */
    RESTART
  }
}
