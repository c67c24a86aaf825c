package io.fogwise.protocol;

import static io.fogwise.protocol.Checks.id;
import static io.fogwise.protocol.Checks.map;
import static io.fogwise.protocol.Checks.nonNegative;
import static io.fogwise.protocol.Checks.optionalId;
import static io.fogwise.protocol.Checks.required;

import java.util.Map;

/**
 * What a gateway decided or observed, on {@code fw.ev.<gatewayId>}: the history the cloud
 * miner learns from and the timeline operators read.
 *
 * @param gatewayId the deciding gateway
 * @param seq per-gateway sequence number
 * @param atMillis wall time of the decision
 * @param type what happened
 * @param deviceId the device concerned, if any
 * @param service the service concerned, if any
 * @param epoch the instance epoch concerned, or 0
 * @param rule the rule that decided, if a rule did
 * @param reason one line a user understands
 * @param details further facts (suspicion, timings)
 */
public record AdaptationEvent(
    String gatewayId,
    long seq,
    long atMillis,
    Type type,
    String deviceId,
    String service,
    long epoch,
    String rule,
    String reason,
    Map<String, String> details) {
  public AdaptationEvent {
    id(gatewayId, "gatewayId");
    nonNegative(seq, "seq");
    nonNegative(atMillis, "atMillis");
    required(type, "type");
    optionalId(deviceId, "deviceId");
    optionalId(service, "service");
    nonNegative(epoch, "epoch");
    details = map(details);
  }

  /** The kinds of event. */
  public enum Type {
    DEVICE_JOINED,
    DEVICE_LOST,
    DEVICE_RETURNED,
    DEVICE_EXCLUDED,
    DEVICE_QUARANTINED,
    DEVICE_RELEASED,
    INSTANCE_STARTING,
    INSTANCE_STARTED,
    INSTANCE_START_FAILED,
    INSTANCE_STOPPED,
    INSTANCE_FENCED,
    INSTANCE_ABANDONED,
    INSTANCE_RESTARTED,
    INSTANCE_STALLED,
    MIGRATION_STARTED,
    MIGRATION_COMPLETED,
    MIGRATION_FAILED,
    SERVICE_APPLIED,
    SERVICE_DELETED,
    PARAMETER_SET,
    POLICY_APPLIED,
    POLICY_REJECTED,
    POLICY_ROLLED_BACK,
    /** The policy bucket or a live pointer is missing, unreadable or behind what the gateway applied. */
    POLICY_STORE_PROBLEM,
    /** A policy store problem reported before is gone. */
    POLICY_STORE_RECOVERED,
    /** Durable state that did not parse was copied aside; the gateway started without it. */
    STATE_SET_ASIDE,
    /**
     * The gateway holds its failure detection: its own link is down, it was paused, or so many
     * devices went silent at once that the silence is more likely its own; the reason says which
     * and why nothing is failed over.
     */
    DETECTION_SUSPENDED,
    /** Failure detection resumed; the reason says how long the gateway's own silence was (not counted as devices'). */
    DETECTION_RESUMED,
    /**
     * How a device's heartbeats arrived since the last report: details {@code class} and
     * {@code intervalsMs}, comma-separated arrival intervals in ms (every 30 s per device).
     */
    HEARTBEAT_TIMING,
    /** A policy exclusion of a service from a device was lifted (probation passed, only device left, operator move). */
    EXCLUSION_LIFTED,
    /** A subscriber reported messages of a service it never received (skipped numbers within an epoch). */
    MESSAGES_MISSED,
    ALERT
  }
}
