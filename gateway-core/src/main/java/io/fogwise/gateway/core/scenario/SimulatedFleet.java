package io.fogwise.gateway.core.scenario;

import io.fogwise.protocol.Layer;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.DeviceState;
import io.fogwise.rules.model.Instance;
import io.fogwise.rules.model.Movement;
import io.fogwise.gateway.core.devices.DeviceRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The recording reconciler of a scenario: desired state (specs, exclusions) and where instances
 * run, changed the way the gateway's reconciler would change them but instantly and without
 * commands. It is deliberately simple: scenarios test policy, not the reconciler (which has its
 * own tests).
 */
final class SimulatedFleet {
  private final DeviceRegistry registry;
  private final Map<String, ServiceSpec> specs = new LinkedHashMap<>();
  private final Map<String, Set<String>> excluded = new HashMap<>();
  private final Map<String, String> preferred = new HashMap<>();
  private final Map<String, Inst> instances = new LinkedHashMap<>();
  private final Map<String, Long> epochs = new HashMap<>();
  final List<Movement> movements = new ArrayList<>();
  private long version;

  /** One running instance. */
  static final class Inst {
    final String service;
    final String device;
    final long epoch;
    final String version;
    long stalledSince = -1;

    Inst(String service, String device, long epoch, String version) {
      this.service = service;
      this.device = device;
      this.epoch = epoch;
      this.version = version;
    }

    String key() {
      return service + "@" + device + "#" + epoch;
    }
  }

  SimulatedFleet(DeviceRegistry registry) {
    this.registry = registry;
  }

  long version() {
    return version;
  }

  void apply(ServiceSpec spec) {
    specs.put(spec.name(), spec);
    version++;
  }

  ServiceSpec spec(String name) {
    return specs.get(name);
  }

  Map<String, ServiceSpec> specs() {
    return specs;
  }

  Set<String> excluded(String service) {
    return excluded.getOrDefault(service, Set.of());
  }

  void start(String service, String device, String versionOverride) {
    ServiceSpec spec = specs.get(service);
    long epoch = epochs.merge(service, 1L, Long::sum);
    Inst i = new Inst(service, device, epoch, versionOverride != null ? versionOverride : spec.version());
    instances.put(i.key(), i);
    version++;
  }

  List<Inst> instances() {
    return List.copyOf(instances.values());
  }

  List<Inst> on(String device) {
    return instances.values().stream().filter(i -> i.device.equals(device)).toList();
  }

  void stall(String service, String device, long now) {
    instances.values().stream().filter(i -> i.service.equals(service) && i.device.equals(device))
        .forEach(i -> i.stalledSince = now);
  }

  /** Instance facts as the gateway would publish them at {@code now}. */
  Map<String, Instance> facts(long now) {
    Map<String, Instance> out = new LinkedHashMap<>();
    for (Inst i : instances.values()) {
      long stalled = i.stalledSince < 0 ? 0 : (now - i.stalledSince) / 250 * 250;
      out.put(i.key(), new Instance(i.service, i.device, i.epoch, Instance.InstanceState.RUNNING, stalled, i.version));
    }
    return out;
  }

  boolean exclude(String service, String device) {
    if (!specs.containsKey(service) || !excluded.computeIfAbsent(service, k -> new HashSet<>()).add(device)) {
      return false;
    }
    version++;
    return true;
  }

  void prefer(String service, String device) {
    preferred.put(service, device);
    version++;
  }

  /** Drops the instance and lets {@link #reconcile} place the service again. */
  void restart(String service, String device, long epoch) {
    instances.remove(service + "@" + device + "#" + epoch);
    version++;
  }

  /**
   * Moves the fleet toward desired state: instances on excluded, quarantined or no longer
   * admitting devices are moved (make-before-break in the real gateway), missing replicas are
   * placed on the least-loaded eligible device, extra ones removed. Returns what moved.
   */
  void reconcile(long now) {
    for (Inst i : List.copyOf(instances.values())) {
      ServiceSpec spec = specs.get(i.service);
      Device d = registry.get(i.device);
      boolean misplaced = spec == null || excluded(i.service).contains(i.device)
          || (d != null && (d.isQuarantined() || (d.getState() == DeviceState.ALIVE
              && !spec.placement().admits(d.getLayer(), d.getLabels()))))
          || (spec != null && preferred.containsKey(i.service) && !preferred.get(i.service).equals(i.device)
              && eligible(spec, now).stream().anyMatch(e -> e.getId().equals(preferred.get(i.service))));
      if (misplaced) {
        instances.remove(i.key());
        version++;
        if (spec != null) {
          Device target = choose(spec, now);
          if (target != null) {
            start(i.service, target.getId(), null);
            boolean planned = d != null && d.getState() == DeviceState.ALIVE && !excluded(i.service).contains(i.device)
                && !d.isQuarantined();
            movements.add(new Movement(i.service, i.device, target.getId(),
                planned ? Movement.Kind.MIGRATION : Movement.Kind.FAILOVER, now));
          }
        }
      }
    }
    for (ServiceSpec spec : specs.values()) {
      List<Inst> current = instances.values().stream().filter(i -> i.service.equals(spec.name())).toList();
      for (int n = current.size(); n < spec.replicas(); n++) {
        Device target = choose(spec, now);
        if (target == null) {
          break;
        }
        start(spec.name(), target.getId(), null);
        if (now > 0) {
          movements.add(new Movement(spec.name(), null, target.getId(), Movement.Kind.RESTART, now));
        }
      }
      for (int n = current.size() - 1; n >= spec.replicas(); n--) {
        instances.remove(current.get(n).key());
        version++;
      }
    }
  }

  private Device choose(ServiceSpec spec, long now) {
    List<Device> eligible = eligible(spec, now);
    String pref = preferred.get(spec.name());
    eligible.sort(Comparator.comparing((Device d) -> !d.getId().equals(pref))
        .thenComparingInt(d -> on(d.getId()).size()).thenComparing(Device::getId));
    return eligible.isEmpty() ? null : eligible.get(0);
  }

  private List<Device> eligible(ServiceSpec spec, long now) {
    List<Device> out = new ArrayList<>();
    for (Device d : registry.all()) {
      if (d.getState() == DeviceState.ALIVE && !d.isQuarantined()
          && spec.placement().admits(d.getLayer(), d.getLabels())
          && !excluded(spec.name()).contains(d.getId())
          && instances.values().stream().noneMatch(i -> i.service.equals(spec.name()) && i.device.equals(d.getId()))) {
        out.add(d);
      }
    }
    return out;
  }

  /** Moves a service to a layer; false when no device there admits it. */
  boolean migrate(String service, Layer layer, long now) {
    ServiceSpec spec = specs.get(service);
    if (spec == null) {
      return false;
    }
    ServiceSpec moved = spec.withPlacement(new ServiceSpec.Placement(layer, spec.placement().labels()));
    if (eligible(moved, now).isEmpty()) {
      return false;
    }
    apply(moved);
    return true;
  }
}
