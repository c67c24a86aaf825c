package io.fogwise.rules;

import io.fogwise.rules.model.Device;

/**
 * What a rule may do. Rules never start or stop anything: they change desired state through
 * these methods, and the gateway's reconciler does the work. Available in every rule file as
 * the global {@code actions}.
 */
public interface Actions {

  /** Declares {@code device} lost; its instances are no longer trusted. */
  void declareLost(Device device, String reason);

  /** Keeps {@code service} off {@code deviceId}; its instance there is re-placed elsewhere. */
  void exclude(String service, String deviceId, String reason);

  /** Raises an alert operators see in the event stream. */
  void alert(String message);
}
