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
 */
public record InstanceReport(String service, String kind, long epoch, InstanceState state, int restarts) {
  public InstanceReport {
    id(service, "service");
    id(kind, "kind");
    nonNegative(epoch, "epoch");
    required(state, "state");
    nonNegative(restarts, "restarts");
  }

  /** Agent-side state of a hosted instance. */
  public enum InstanceState {
    RUNNING,
    RESTARTING
  }
}
