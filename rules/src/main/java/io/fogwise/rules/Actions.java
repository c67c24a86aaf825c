package io.fogwise.rules;

import io.fogwise.protocol.Layer;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Instance;

/**
 * What a rule may do. Rules never start or stop anything themselves: they change desired state
 * through these methods, and the gateway's reconciler does the work. Available in every rule
 * file as the global {@code actions}; a right-hand side may call nothing else but read facts.
 * Every call is recorded with the name of the rule that made it, and reported as an
 * adaptation event.
 */
public interface Actions {

  /** Declares {@code device} lost; its instances are no longer trusted. */
  void declareLost(Device device, String reason);

  /** Keeps {@code service} off {@code deviceId}; its instance there is placed elsewhere. */
  void exclude(String service, String deviceId, String reason);

  /**
   * Quarantines {@code device}: every instance on it is drained (placed elsewhere) and it hosts
   * nothing until released or until {@code compliance.quarantineMs} has passed.
   */
  void quarantine(Device device, String reason);

  /** Ends a quarantine early. */
  void release(Device device, String reason);

  /** Moves {@code service} to {@code layer}, make-before-break, as an operator's move would. */
  void migrate(String service, Layer layer, String reason);

  /** Moves {@code service} to the device {@code deviceId}, make-before-break. */
  void migrateTo(String service, String deviceId, String reason);

  /** Sets the replica count of {@code service}. */
  void setReplicas(String service, int replicas, String reason);

  /** Replaces {@code instance} with a fresh one (new epoch, current spec version). */
  void restart(Instance instance, String reason);

  /** Sets a policy parameter (e.g. to tune a threshold); rules see the new value at once. */
  void setParameter(String key, String value, String reason);

  /** Raises an alert operators see in the event stream. */
  void alert(String message);
}
