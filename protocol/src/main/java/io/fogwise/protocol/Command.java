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
 * @param service the service name (absent only in HUB_MOVED, which is for the device)
 * @param kind what to run (START only; e.g. publisher, subscriber)
 * @param epoch the instance epoch: START runs this epoch, STOP stops only this epoch
 * @param config service configuration (START only)
 * @param standby START only: start ready but idle, until an ACTIVATE (planned migration)
 * @param number ACTIVATE only: the message number to continue from
 * @param v the command protocol version ({@link #PROTOCOL_VERSION}; absent means 1)
 * @param credentials START only, optional: the instance's own NATS credentials
 * @param container START only, optional: image, environment and limits for a container runtime
 */
public record Command(
    String requestId,
    Action action,
    String service,
    String kind,
    long epoch,
    Map<String, String> config,
    Boolean standby,
    Long number,
    Integer v,
    String credentials,
    ContainerSpec container) {
  /** The command protocol version this code speaks; a command with another is refused by name. */
  public static final int PROTOCOL_VERSION = 1;

  public Command {
    id(requestId, "requestId");
    required(action, "action");
    if (action == Action.HUB_MOVED) {
      if (service != null) {
        id(service, "service");
      }
    } else {
      id(service, "service");
    }
    if (action == Action.START) {
      id(kind, "kind");
    } else if (kind != null) {
      id(kind, "kind");
    }
    nonNegative(epoch, "epoch");
    config = map(config);
    standby = standby != null && standby;
    if (standby && action != Action.START) {
      throw ProtocolViolation.invalid("standby", "is only valid with START");
    }
    if (action == Action.ACTIVATE) {
      required(number, "number");
    }
    if (number != null) {
      nonNegative(number, "number");
    }
    v = v == null ? PROTOCOL_VERSION : v;
    if (v != PROTOCOL_VERSION) {
      throw ProtocolViolation.invalid("v", "command protocol version " + v + " is not supported (this side speaks "
          + PROTOCOL_VERSION + "); upgrade the older of gateway and agent");
    }
    if (credentials != null && action != Action.START && action != Action.RENEW) {
      throw ProtocolViolation.invalid("credentials", "are only valid with START and RENEW");
    }
    if (action == Action.RENEW) {
      required(credentials, "credentials");
    }
    if (container != null && action != Action.START) {
      throw ProtocolViolation.invalid("container", "is only valid with START");
    }
  }

  /** A command without container settings. */
  public Command(String requestId, Action action, String service, String kind, long epoch, Map<String, String> config,
      Boolean standby, Long number, Integer v, String credentials) {
    this(requestId, action, service, kind, epoch, config, standby, number, v, credentials, null);
  }

  /** This START with container settings (null or empty: none). */
  public Command withContainer(ContainerSpec c) {
    return new Command(requestId, action, service, kind, epoch, config, standby, number, v, credentials,
        c == null || c.isEmpty() ? null : c);
  }

  /** The container settings, {@link ContainerSpec#NONE} when absent. */
  public ContainerSpec containerOrNone() {
    return container == null ? ContainerSpec.NONE : container;
  }

  /**
   * This START with the instance's own NATS credentials ({@code .creds} text, signed by the
   * gateway's scoped instance key), which the agent uses for the instance's connection.
   */
  public Command withCredentials(String creds) {
    return new Command(requestId, action, service, kind, epoch, config, standby, number, v, creds, container);
  }

  /** Never prints the credentials. */
  @Override
  public String toString() {
    return "Command[requestId=" + requestId + ", action=" + action + ", service=" + service + ", kind=" + kind
        + ", epoch=" + epoch + ", config=" + config + ", standby=" + standby + ", number=" + number + ", v=" + v
        + (credentials == null ? "" : ", credentials=<redacted>") + (container == null ? "" : ", container=" + container) + "]";
  }

  /** What the agent is asked to do. */
  public enum Action {
    /** Run the service with this epoch (idle if {@code standby}). */
    START,
    /** Stop the instance with this epoch. */
    STOP,
    /** Stop producing output, keep running, reply with the next message number. */
    HANDOVER,
    /** Begin (or resume) producing, continuing from {@code number}. */
    ACTIVATE,
    /** Take new credentials for this epoch's own connection, before the current ones expire. */
    RENEW,
    /**
     * A hub move, first step: connect this epoch to the device's own server (its gateway's) as
     * well, and take its traffic on both connections (make-before-break).
     */
    ATTACH,
    /** A hub move, second step: stop using the connection used before ATTACH; only the new one stays. */
    DETACH,
    /**
     * A hub move, for the device itself (no service): instances started from now on connect to
     * the device's own server (its gateway's), not to the hub they used before.
     */
    HUB_MOVED
  }

  public static Command start(String requestId, String service, String kind, long epoch, Map<String, String> config) {
    return new Command(requestId, Action.START, service, kind, epoch, config, false, null, PROTOCOL_VERSION, null);
  }

  /** A START of an idle instance that waits for {@link #activate}. */
  public static Command standby(String requestId, String service, String kind, long epoch, Map<String, String> config) {
    return new Command(requestId, Action.START, service, kind, epoch, config, true, null, PROTOCOL_VERSION, null);
  }

  public static Command stop(String requestId, String service, long epoch) {
    return new Command(requestId, Action.STOP, service, null, epoch, Map.of(), false, null, PROTOCOL_VERSION, null);
  }

  public static Command handover(String requestId, String service, long epoch) {
    return new Command(requestId, Action.HANDOVER, service, null, epoch, Map.of(), false, null, PROTOCOL_VERSION, null);
  }

  /** New credentials ({@code .creds} text) for the running epoch {@code epoch} of {@code service}. */
  public static Command renew(String requestId, String service, long epoch, String credentials) {
    return new Command(requestId, Action.RENEW, service, null, epoch, Map.of(), false, null, PROTOCOL_VERSION, credentials);
  }

  /** A hub move's first step for one instance ({@link Action#ATTACH}). */
  public static Command attach(String requestId, String service, long epoch) {
    return new Command(requestId, Action.ATTACH, service, null, epoch, Map.of(), false, null, PROTOCOL_VERSION, null);
  }

  /** A hub move, for a whole device ({@link Action#HUB_MOVED}): new instances go to its own server. */
  public static Command hubMoved(String requestId) {
    return new Command(requestId, Action.HUB_MOVED, null, null, 0, Map.of(), false, null, PROTOCOL_VERSION, null);
  }

  /** A hub move's second step for one instance ({@link Action#DETACH}). */
  public static Command detach(String requestId, String service, long epoch) {
    return new Command(requestId, Action.DETACH, service, null, epoch, Map.of(), false, null, PROTOCOL_VERSION, null);
  }

  public static Command activate(String requestId, String service, long epoch, long number) {
    return new Command(requestId, Action.ACTIVATE, service, null, epoch, Map.of(), false, number, PROTOCOL_VERSION, null);
  }
}
