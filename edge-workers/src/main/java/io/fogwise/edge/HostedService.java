package io.fogwise.edge;

import java.util.OptionalLong;

/**
 * A long-running service instance hosted by an {@link EdgeAgent}.
 *
 * <p>The agent calls {@link #run()} on a thread of its own. {@code run()} does the work until
 * {@link ServiceContext#isStopping()} becomes true, then cleans up and returns; waiting should
 * be done with {@link ServiceContext#awaitStop(java.time.Duration)} so that a stop request
 * ends the wait at once (the agent also interrupts the thread if it does not return within a
 * grace period).
 *
 * <p>If {@code run()} throws, or returns without being asked to stop, the agent counts a crash
 * and calls {@code run()} again on the same object after an exponential back-off. State kept
 * in fields (such as a publisher's next message number) therefore survives a crash.
 *
 * <p>A service that can pause its output for a planned migration also implements {@link
 * Handover}.
 */
@FunctionalInterface
public interface HostedService {

  /** Runs until the context says stop; throwing means the instance crashed. */
  void run() throws Exception;

  /**
   * How many outputs (e.g. messages) this instance has produced so far, cumulative across
   * crash-restarts, or empty (the default) if the service does not count its output. Reported in
   * every heartbeat, where the gateway takes a count that stops growing while the instance is
   * RUNNING as a stall; so count what leaves the service, not what it attempts. Called from the
   * heartbeat thread: must be thread-safe and must not block.
   */
  default OptionalLong outputs() {
    return OptionalLong.empty();
  }

  /**
   * Whether the instance is ready to be reported: true (the default) for a service that runs in
   * the agent's JVM; a container is ready once its own probe answers. An instance that was never
   * ready is not reported yet (its START is still in progress); one that was and no longer is, is
   * reported RESTARTING. Called from the heartbeat thread: must not block.
   */
  default boolean ready() {
    return true;
  }
}
