package io.fogwise.gateway.core;

import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.gateway.core.reconcile.Reconciler;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.DeviceSummary;
import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.MessageCodec;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.protocol.ServiceState;
import io.fogwise.rules.model.Device;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What an operator reads: each service's state (where it runs, ready, why not), the devices, the
 * recent events. Built on the decision thread from the registry, desired state and the
 * reconciler; nothing here changes them.
 */
final class Reads {
  /** An answer stays this far below the codec's limit (the envelope and a note fit beside it). */
  static final int ANSWER_BUDGET_BYTES = MessageCodec.MAX_MESSAGE_BYTES - 4 * 1024;

  private final EngineState s;

  Reads(EngineState s) {
    this.s = s;
  }

  /** The state of every declared service (or of {@code name} only), by name. */
  List<ServiceState> services(String name) {
    long now = s.clock.millis();
    List<ServiceState> out = new ArrayList<>();
    for (ServiceSpec spec : s.desired.specs()) {
      if (name == null || name.equals(spec.name())) {
        out.add(state(spec, now));
      }
    }
    out.sort(Comparator.comparing(ServiceState::name));
    return out;
  }

  /** The state of one service. */
  ServiceState state(ServiceSpec spec, long now) {
    String name = spec.name();
    Reconciler.Migration move = s.reconciler.migration(name);
    List<ServiceState.Instance> instances = new ArrayList<>();
    int ready = 0;
    for (Placement p : s.reconciler.placements()) {
      if (!p.service().equals(name)) {
        continue;
      }
      boolean running = p.state() == Placement.State.RUNNING;
      if (running) {
        ready++;
      }
      instances.add(new ServiceState.Instance(p.deviceId(), p.epoch(), p.state().name(), running,
          instanceReason(p, move, now)));
    }
    Reconciler.Trouble trouble = s.reconciler.trouble(name);
    String unplaceable = s.reconciler.unplaceable(name);
    int failures = trouble == null ? 0 : trouble.failures();
    long retryIn = trouble == null ? 0 : Math.max(0, trouble.retryAtMillis() - now);
    int replicas = spec.replicas();
    ServiceState.Phase phase;
    String reason;
    if (move != null) {
      phase = ServiceState.Phase.MOVING;
      reason = "moving from " + move.from().deviceId() + " (epoch " + move.from().epoch() + ") to "
          + move.to().deviceId() + " (epoch " + move.to().epoch() + ")";
    } else if (failures >= Reconciler.FAILING_AFTER) {
      phase = ServiceState.Phase.FAILING;
      reason = failures + " failed starts or moves in a row, the last: " + trouble.lastFailure()
          + (retryIn > 0 ? "; next try in " + seconds(retryIn) : "; trying again");
    } else if (ready >= replicas) {
      phase = ServiceState.Phase.RUNNING;
      reason = trouble == null ? null : "the last start or move failed: " + trouble.lastFailure();
    } else if (unplaceable != null && instances.size() < replicas) {
      phase = ServiceState.Phase.UNPLACEABLE;
      reason = ready + " of " + replicas + " running; " + unplaceable;
    } else if (ready > 0) {
      phase = ServiceState.Phase.DEGRADED;
      reason = ready + " of " + replicas + " running" + (trouble == null ? "" : "; last failure: " + trouble.lastFailure());
    } else {
      phase = ServiceState.Phase.STARTING;
      reason = trouble != null ? "the last start failed (" + trouble.lastFailure() + ")"
          + (retryIn > 0 ? "; next try in " + seconds(retryIn) : "; trying again")
          : instances.isEmpty() ? "waiting to be placed" : "waiting for its device to report it running";
    }
    return new ServiceState(spec, phase, ready, reason, failures, retryIn, instances);
  }

  private static String instanceReason(Placement p, Reconciler.Migration move, long now) {
    if (move != null && move.to().key().equals(p.key())) {
      return "taking over from " + move.from().deviceId();
    }
    if (move != null && move.from().key().equals(p.key())) {
      return "handing over to " + move.to().deviceId();
    }
    if (p.state() == Placement.State.STARTING) {
      return "not reported running yet (given up in " + seconds(Math.max(0, p.deadlineMillis() - now)) + ")";
    }
    long stalled = p.stalledMillis(now);
    return stalled >= 1_000 ? "no output for " + seconds(stalled) : null;
  }

  /** Every device (or {@code name} only), by id. */
  List<DeviceSummary> devices(String name) {
    List<DeviceSummary> out = new ArrayList<>();
    for (Device d : s.registry.all()) {
      if (name != null && !name.equals(d.getId())) {
        continue;
      }
      List<String> instances = new ArrayList<>();
      for (InstanceReport r : s.registry.reportedInstances(d.getId())) {
        instances.add(r.service() + "#" + r.epoch());
      }
      out.add(new DeviceSummary(d.getId(), d.getLayer(), d.getDeviceClass(), d.getLabels(), d.getState().name(),
          d.isQuarantined(), d.getPhi(), Math.max(0, d.getSilenceMs()), s.registry.kinds(d.getId()), instances,
          d.getCpuLoad(), d.getBatteryPct()));
    }
    out.sort(Comparator.comparing(DeviceSummary::id));
    return out;
  }

  /**
   * The most recent events (about {@code name}, a service or a device, if given), oldest first,
   * as many as fit in one answer.
   */
  ServiceResponse events(String name) {
    List<AdaptationEvent> all = s.events.recent();
    List<AdaptationEvent> picked = new ArrayList<>();
    int bytes = 0;
    int matching = 0;
    for (int i = all.size() - 1; i >= 0; i--) {
      AdaptationEvent e = all.get(i);
      if (name != null && !name.equals(e.service()) && !name.equals(e.deviceId())) {
        continue;
      }
      matching++;
      int size = MessageCodec.encode(e).length + 1;
      if (bytes + size > ANSWER_BUDGET_BYTES) {
        continue;
      }
      bytes += size;
      picked.add(0, e);
    }
    ServiceResponse r = ServiceResponse.events(picked);
    return picked.size() < matching ? r.withNote("the " + picked.size() + " most recent of " + matching
        + " events (one answer holds no more; the gateway's /events has them all)") : r;
  }

  /**
   * The kinds the devices say they run, or empty when some device does not say (an older
   * agent, a Swarm node): then any kind may be runnable, and nothing is refused for it.
   */
  Set<String> offeredKinds() {
    Set<String> kinds = new TreeSet<>();
    for (Device d : s.registry.all()) {
      List<String> k = s.registry.kinds(d.getId());
      if (k.isEmpty()) {
        return Set.of();
      }
      kinds.addAll(k);
    }
    return kinds;
  }

  /**
   * Services that keep failing, and those of {@code degraded} (short of instances for longer than
   * {@code service.underReplicatedMs}) that cannot be placed; cheap when there are none.
   */
  List<String> troubled(java.util.Collection<String> degraded) {
    List<String> names = new ArrayList<>();
    for (ServiceSpec spec : s.desired.specs()) {
      Reconciler.Trouble t = s.reconciler.trouble(spec.name());
      if ((t != null && t.failures() >= Reconciler.FAILING_AFTER)
          || (degraded.contains(spec.name()) && s.reconciler.unplaceable(spec.name()) != null)) {
        names.add(spec.name());
      }
    }
    return names;
  }

  /** One line each for {@link #troubled}: why the service cannot be placed or keeps failing. */
  List<String> serviceProblems(java.util.Collection<String> degraded) {
    List<String> lines = new ArrayList<>();
    long now = s.clock.millis();
    for (String name : troubled(degraded)) {
      ServiceState st = state(s.desired.spec(name), now);
      if (st.phase() == ServiceState.Phase.FAILING) {
        lines.add("service " + name + " keeps failing: " + st.reason());
      } else if (st.phase() == ServiceState.Phase.UNPLACEABLE) {
        lines.add("service " + name + " cannot be placed: " + st.reason());
      }
    }
    return lines;
  }

  static String seconds(long ms) {
    return ms < 10_000 ? String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0) : (ms + 500) / 1000 + " s";
  }
}
