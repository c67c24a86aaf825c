package io.fogwise.edge;

import java.util.OptionalLong;

/**
 * Optional capability of a {@link HostedService} that can pause its output and pass its message
 * numbering on, for a planned (make-before-break) migration: the old instance is handed over,
 * the new one, started in standby, is activated with the old one's next number, and the
 * numbering continues without loss or duplicates.
 *
 * <p>The agent calls these methods on its control thread while the service's own thread may
 * be running {@link HostedService#run()}, so implementations must be thread-safe. They must not
 * depend on {@code run()} being active: the instance may be between crash-restarts.
 *
 * <p>An instance started in standby is handed over once, before its first {@code run()}; a
 * service therefore needs no other notion of standby. Services that do not implement this
 * interface keep running unchanged through HANDOVER and ACTIVATE; only their reported state
 * changes (STANDBY, RUNNING).
 */
public interface Handover {

  /**
   * Stops producing output, at once and until {@link #activate(long)}. When this returns, the
   * last output has been handed to the NATS connection and no further output will be produced;
   * the instance keeps running. Calling it again (a retried HANDOVER) returns the same number.
   *
   * @return the number the successor continues from (exactly the last number produced plus
   *     one), or empty if the output is not numbered
   */
  OptionalLong handover();

  /**
   * Begins or resumes producing output, the next one numbered {@code number}, promptly (not at
   * the next slot of a rate schedule). After this returns the agent ends the instance's current
   * {@link ServiceContext#awaitStop(java.time.Duration)} early, so a service waiting there to be
   * activated should wait there.
   *
   * @return false if the instance was already producing (a retried ACTIVATE), in which case
   *     {@code number} is ignored so that no number is produced twice
   */
  boolean activate(long number);
}
