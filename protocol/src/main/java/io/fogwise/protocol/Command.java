package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.required;

import java.util.Map;

/**
 * A gateway's request to an agent on {@code fw.cmd.<deviceId>}; answered with a
 * {@link CommandReply}.
 *
 * @param requestId correlates logs and replies
 * @param action START or STOP
 * @param service the service name
 * @param kind what to run (START only; e.g. publisher, subscriber)
 * @param epoch the instance epoch: START runs this epoch, STOP stops only this epoch
 * @param config service configuration (START only)
 */
public record Command(
    String requestId, Action action, String service, String kind, long epoch, Map<String, String> config) {
  public Command {
    id(requestId, "requestId");
    required(action, "action");
    id(service, "service");
    if (action == Action.START) {
      id(kind, "kind");
    } else if (kind != null) {
      id(kind, "kind");
    }
    nonNegative(epoch, "epoch");
    config = map(config);
  }

  /** What the agent is asked to do. */
  public enum Action {
    START,
    STOP
  }

  public static Command start(String requestId, String service, String kind, long epoch, Map<String, String> config) {
    return new Command(requestId, Action.START, service, kind, epoch, config);
  }

  public static Command stop(String requestId, String service, long epoch) {
    return new Command(requestId, Action.STOP, service, null, epoch, Map.of());
  }
}
