package io.fogwise.gateway.core.orchestrator;

import io.fogwise.protocol.ContainerSpec;
import io.fogwise.protocol.ServiceSpec;
import java.util.Map;
import java.util.Objects;

/**
 * One instance the gateway wants running.
 *
 * @param service the service name
 * @param kind what to run (publisher, subscriber, an image name for container adapters)
 * @param version the spec version the instance runs
 * @param epoch the instance epoch (fencing: only grows per service)
 * @param deviceId where it runs
 * @param config the service configuration
 * @param container image, environment and resource limits for container adapters ({@link ContainerSpec#NONE}: none)
 */
public record InstanceIntent(String service, String kind, String version, long epoch, String deviceId,
    Map<String, String> config, ContainerSpec container) {
  public InstanceIntent {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(deviceId, "deviceId");
    config = Map.copyOf(config);
    container = container == null ? ContainerSpec.NONE : container;
    if (epoch < 0) {
      throw new IllegalArgumentException("epoch must not be negative: " + epoch);
    }
  }

  /** An intent without container settings. */
  public InstanceIntent(String service, String kind, String version, long epoch, String deviceId,
      Map<String, String> config) {
    this(service, kind, version, epoch, deviceId, config, ContainerSpec.NONE);
  }

  /** The intent to run {@code spec} with {@code epoch} on {@code deviceId}. */
  public static InstanceIntent of(ServiceSpec spec, long epoch, String deviceId) {
    return new InstanceIntent(spec.name(), spec.instanceKind(), spec.version(), epoch, deviceId, spec.config(),
        spec.container());
  }

  /** {@code service@device#epoch}. */
  public String key() {
    return service + "@" + deviceId + "#" + epoch;
  }
}
