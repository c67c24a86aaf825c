package io.fogwise.gateway.core.reconcile;

import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.model.Service;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What should run: declared service specs, the devices policy excluded each service from
 * (until an expiry), and the last epoch handed out per service. Rules change it through
 * actions; the reconciler reads it. Not thread-safe: it belongs to the decision thread.
 */
public final class DesiredState {
  private final Map<String, ServiceSpec> specs = new TreeMap<>();
  private final Map<String, Map<String, Long>> exclusions = new HashMap<>();
  private final Map<String, Long> epochs = new HashMap<>();
  private final Map<String, String> preferred = new HashMap<>();
  private long version;

  /** Increases whenever anything here changes; lets callers persist only when needed. */
  public long version() {
    return version;
  }

  /** Declares or replaces a service. */
  public void apply(ServiceSpec spec) {
    Objects.requireNonNull(spec, "spec");
    specs.put(spec.name(), spec);
    version++;
  }

  /** Removes a service; returns whether it existed. Its epoch counter is kept (fencing). */
  public boolean delete(String name) {
    exclusions.remove(name);
    preferred.remove(name);
    version++;
    return specs.remove(name) != null;
  }

  public ServiceSpec spec(String name) {
    return specs.get(name);
  }

  public Collection<ServiceSpec> specs() {
    return specs.values();
  }

  /**
   * Excludes {@code service} from {@code deviceId} until monotonic {@code untilMillis}.
   * Returns false if it was already excluded.
   */
  public boolean exclude(String service, String deviceId, long untilMillis) {
    if (!specs.containsKey(service)) {
      return false;
    }
    Long prev = exclusions.computeIfAbsent(service, k -> new HashMap<>()).put(deviceId, untilMillis);
    version++;
    return prev == null;
  }

  /** Lifts the exclusion of {@code service} from {@code deviceId}; returns whether there was one. */
  public boolean unexclude(String service, String deviceId) {
    Map<String, Long> m = exclusions.get(service);
    if (m == null || m.remove(deviceId) == null) {
      return false;
    }
    if (m.isEmpty()) {
      exclusions.remove(service);
    }
    version++;
    return true;
  }

  /** Whether {@code service} is excluded from {@code deviceId} at {@code nowMillis}. */
  public boolean isExcluded(String service, String deviceId, long nowMillis) {
    Map<String, Long> m = exclusions.get(service);
    if (m == null) {
      return false;
    }
    Long until = m.get(deviceId);
    return until != null && until > nowMillis;
  }

  /** Drops expired exclusions; returns the names of services whose exclusions changed. */
  public Set<String> expireExclusions(long nowMillis) {
    Set<String> changed = new java.util.HashSet<>();
    exclusions.forEach((svc, m) -> {
      if (m.values().removeIf(until -> until <= nowMillis)) {
        changed.add(svc);
      }
    });
    exclusions.values().removeIf(Map::isEmpty);
    if (!changed.isEmpty()) {
      version++;
    }
    return changed;
  }

  /** The devices {@code service} is excluded from now. */
  public Set<String> excludedDevices(String service, long nowMillis) {
    Map<String, Long> m = exclusions.get(service);
    if (m == null) {
      return Set.of();
    }
    java.util.Set<String> out = new java.util.TreeSet<>();
    m.forEach((d, until) -> {
      if (until > nowMillis) {
        out.add(d);
      }
    });
    return out;
  }

  /** The service as a rule fact. */
  public Service fact(String name, long nowMillis) {
    ServiceSpec spec = specs.get(name);
    return spec == null ? null : new Service(spec, excludedDevices(name, nowMillis));
  }

  /** Asks for {@code service} to run on {@code deviceId} when that device is eligible (null clears). */
  public void prefer(String service, String deviceId) {
    if (deviceId == null) {
      preferred.remove(service);
    } else {
      preferred.put(service, deviceId);
    }
    version++;
  }

  /** The device an operator moved {@code service} to, or null. */
  public String preferred(String service) {
    return preferred.get(service);
  }

  /** All preferences, service → device. */
  public Map<String, String> preferences() {
    return Map.copyOf(preferred);
  }

  /** All epoch counters, service → last epoch handed out. */
  public Map<String, Long> epochs() {
    return Map.copyOf(epochs);
  }

  /** All exclusions, service → device → until (monotonic ms). */
  public Map<String, Map<String, Long>> exclusions() {
    Map<String, Map<String, Long>> m = new TreeMap<>();
    exclusions.forEach((s, d) -> m.put(s, Map.copyOf(d)));
    return m;
  }

  /** A new epoch for {@code service}: strictly greater than any handed out before. */
  public long nextEpoch(String service) {
    version++;
    return epochs.merge(service, 1L, Long::sum);
  }

  /** The last epoch handed out for {@code service}, 0 if none. */
  public long currentEpoch(String service) {
    return epochs.getOrDefault(service, 0L);
  }

  /** Raises the epoch counter to at least {@code epoch} (e.g. on seeing an instance report). */
  public void observeEpoch(String service, long epoch) {
    if (epoch > epochs.getOrDefault(service, 0L)) {
      epochs.put(service, epoch);
      version++;
    }
  }
}
