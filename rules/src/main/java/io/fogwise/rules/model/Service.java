package io.fogwise.rules.model;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** A declared service and the devices policy has excluded it from, as rules see them. */
public final class Service {
  private final ServiceSpec spec;
  private final Set<String> excluded;

  public Service(ServiceSpec spec, Set<String> excluded) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.excluded = Set.copyOf(excluded);
  }

  public String getName() {
    return spec.name();
  }

  public String getKind() {
    return spec.kind();
  }

  public String getVersion() {
    return spec.version();
  }

  public int getReplicas() {
    return spec.replicas();
  }

  /** The placement layer, or null when any layer will do. */
  public Layer getLayer() {
    return spec.placement().layer();
  }

  public Map<String, String> getLabels() {
    return spec.placement().labels();
  }

  public boolean isCritical() {
    return spec.critical();
  }

  /** The latency objective in milliseconds, or null. */
  public Long getLatencyObjectiveMs() {
    return spec.latencyObjectiveMs();
  }

  /** Devices the service must not run on. */
  public Set<String> getExcluded() {
    return excluded;
  }

  /** Whether policy excluded the service from {@code deviceId}. */
  public boolean excludes(String deviceId) {
    return excluded.contains(deviceId);
  }

  /** The declared spec. */
  public ServiceSpec spec() {
    return spec;
  }

  @Override
  public String toString() {
    return "Service[" + spec.name() + " x" + spec.replicas() + " excluded=" + excluded + "]";
  }
}
