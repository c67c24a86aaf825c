package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

/**
 * One service instance as its hosting agent sees it, carried in every heartbeat.
 *
 * @param service the service name
 * @param kind what the agent runs (publisher, subscriber, ...)
 * @param epoch the epoch the instance was started with; the gateway fences older ones
 * @param state whether it is running or being restarted after a crash
 * @param restarts how many times the agent restarted it after a crash
 * @param outputs how many outputs (e.g. messages) it has produced, or null if the service does
 *     not count its output; the gateway detects a stalled service from it
 * @param reason why it last crashed (e.g. a container's exit code and last output), or null;
 *     at most {@value #MAX_REASON} characters
 */
public record InstanceReport(String service, String kind, long epoch, InstanceState state, int restarts, Long outputs,
    String reason) {
  /** The longest reason carried (longer ones are cut). */
  public static final int MAX_REASON = 400;

  public InstanceReport {
    if (reason != null && reason.length() > MAX_REASON) {
      reason = reason.substring(0, MAX_REASON - 1) + "…";
    }
    id(service, "service");
    id(kind, "kind");
    nonNegative(epoch, "epoch");
    required(state, "state");
    nonNegative(restarts, "restarts");
    if (outputs != null) {
      nonNegative(outputs, "outputs");
    }
  }

  /** A report without a crash reason. */
  public InstanceReport(String service, String kind, long epoch, InstanceState state, int restarts, Long outputs) {
    this(service, kind, epoch, state, restarts, outputs, null);
  }

  /** A report without an output count. */
  public InstanceReport(String service, String kind, long epoch, InstanceState state, int restarts) {
    this(service, kind, epoch, state, restarts, null, null);
  }

  /** Agent-side state of a hosted instance. */
  public enum InstanceState {
    RUNNING,
    RESTARTING,
    /** Started for a planned migration, idle until activated. */
    STANDBY
  }
}
