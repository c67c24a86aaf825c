package io.fogwise.gateway.core.reconcile;

import io.fogwise.protocol.InstanceReport;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.DeviceState;
import io.fogwise.gateway.core.devices.DeviceRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Moves actual instances toward desired state. Each pass compares the declared specs with the
 * placements it made and with what devices report, and returns the {@link Step}s that close
 * the gap: start missing replicas on the least-loaded eligible device, stop instances on
 * excluded devices, fence instances nobody placed (a returning device's stale epoch), give up
 * on starts that were never confirmed. A lost command is repaired by a later pass. Time comes
 * from the caller (monotonic milliseconds of the injected clock). Not thread-safe.
 */
public final class Reconciler {
  private final Settings settings;
  private final Step.Strategy moveStrategy;
  private final Map<String, Placement> placements = new LinkedHashMap<>();
  private final Map<String, Long> stopsInFlight = new HashMap<>();
  private final Map<String, Long> avoidUntil = new HashMap<>();
  private final Map<String, Migration> migrations = new HashMap<>();
  /** When each device last reported its instances (monotonic ms). */
  private final Map<String, Long> lastReport = new HashMap<>();
  /** Services whose starts or moves failed in a row, with their back-off. */
  private final Map<String, Trouble> troubles = new HashMap<>();
  /** Services a missing replica of which no device can take now, and why. */
  private final Map<String, String> unplaceable = new HashMap<>();
  private long version;

  /** After this many failed starts or moves in a row a service is FAILING (shown, not hidden in events). */
  public static final int FAILING_AFTER = 3;
  /** The pause before the third try of a service that failed twice in a row; it doubles with every further failure. */
  static final long BACKOFF_BASE_MS = 2_000;
  /**
   * The longest pause between tries of a service that keeps failing: a wrong spec costs one
   * command and one event every 5 minutes, not one per reconcile pass, and a fixed device is
   * used at the latest 5 minutes later (or at once, when the operator applies the spec again).
   */
  static final long BACKOFF_CAP_MS = 300_000;

  /**
   * Failed starts or moves of one service in a row.
   *
   * @param failures how many in a row
   * @param lastFailure the last one's reason
   * @param retryAtMillis no new start before this (monotonic ms)
   */
  public record Trouble(int failures, String lastFailure, long retryAtMillis) {}

  /** A planned migration in progress: the old placement keeps running until the new one took over. */
  public record Migration(Placement from, Placement to) {}

  /** A reconciler for an orchestrator that can hand over (make-before-break without a gap). */
  public Reconciler(Settings settings) {
    this(settings, Step.Strategy.HANDOVER);
  }

  /**
   * A reconciler that plans moves with {@code moves}: {@link Step.Strategy#HANDOVER} when the
   * orchestrator has that capability, else {@link Step.Strategy#START_THEN_STOP}.
   */
  public Reconciler(Settings settings, Step.Strategy moves) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.moveStrategy = Objects.requireNonNull(moves, "moves");
  }

  /**
   * Reconciler settings.
   *
   * @param startTimeout how long a start may go unconfirmed by the device's heartbeat
   * @param missingGrace how long a running instance may be absent from an alive device's
   *     heartbeats before it is placed again
   * @param stopRetry how long before an unacknowledged stop is sent again
   * @param avoidAfterFailure how long a device is avoided for a service after a failed start
   */
  public record Settings(Duration startTimeout, Duration missingGrace, Duration stopRetry, Duration avoidAfterFailure) {
    /** 5 s, 1 s, 1 s, 10 s. */
    public static final Settings DEFAULT =
        new Settings(Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(10));
  }

  /**
   * Takes in the instances a device reported. Returns the placements this confirmed (they
   * went from STARTING to RUNNING).
   */
  public List<Placement> observe(String deviceId, List<InstanceReport> reports, long nowMillis) {
    List<Placement> confirmed = new ArrayList<>();
    lastReport.put(deviceId, nowMillis);
    for (InstanceReport r : reports) {
      String key = key(r.service(), deviceId, r.epoch());
      Placement p = placements.get(key);
      if (p == null) {
        continue;
      }
      Placement updated = p.reported(r, nowMillis);
      placements.put(key, updated);
      if (p.state() == Placement.State.STARTING) {
        confirmed.add(updated);
        troubles.remove(p.service());
        version++;
      }
    }
    return confirmed;
  }

  /** One reconcile pass at monotonic {@code nowMillis}. */
  public List<Step> reconcile(DesiredState desired, DeviceRegistry devices, long nowMillis) {
    List<Step> steps = new ArrayList<>();
    stopsInFlight.values().removeIf(until -> until <= nowMillis);
    avoidUntil.values().removeIf(until -> until <= nowMillis);
    troubles.keySet().removeIf(name -> desired.spec(name) == null);
    unplaceable.keySet().removeIf(name -> desired.spec(name) == null);
    retire(desired, devices, nowMillis, steps);
    fence(devices, desired, nowMillis, steps);
    for (ServiceSpec spec : desired.specs()) {
      scale(spec, desired, devices, nowMillis, steps);
    }
    return steps;
  }

  private void retire(DesiredState desired, DeviceRegistry devices, long now, List<Step> steps) {
    List<Step.Migrate> moves = new ArrayList<>();
    for (Iterator<Placement> it = placements.values().iterator(); it.hasNext(); ) {
      Placement p = it.next();
      if (migrations.containsKey(p.service())) {
        continue; // the migration coordinator owns both placements until it completes or aborts
      }
      Device d = devices.get(p.deviceId());
      boolean alive = d != null && d.getState() == DeviceState.ALIVE;
      ServiceSpec spec = desired.spec(p.service());
      if (spec == null) {
        it.remove();
        version++;
        if (alive) {
          steps.add(stop(p, Step.StopReason.DELETED, now));
        }
      } else if (desired.isExcluded(p.service(), p.deviceId(), now) || (d != null && d.isQuarantined())) {
        if (alive && d.isQuarantined() && p.state() == Placement.State.RUNNING) {
          // a quarantined device still runs it: drain it make-before-break, like an operator's move, when
          // there is somewhere to go (a second move of the same service waits for the next pass); an
          // exclusion (a stall, latency) stops the instance at once as before
          if (moves.stream().anyMatch(m -> m.from().service().equals(p.service()))) {
            continue;
          }
          Device target = moveTarget(spec, desired, devices, now, null, true);
          if (target != null) {
            long epoch = desired.nextEpoch(spec.name());
            moves.add(new Step.Migrate(spec, p, Placement.starting(spec.name(), target.getId(), epoch,
                now + settings.startTimeout().toMillis(), now, spec.version()), moveStrategy));
            continue;
          }
        }
        it.remove();
        version++;
        steps.add(alive ? stop(p, Step.StopReason.EXCLUDED, now) : new Step.Abandon(p, "device " + p.deviceId() + " excluded"));
      } else if (p.state() == Placement.State.STARTING && now >= p.deadlineMillis()) {
        it.remove();
        version++;
        avoidUntil.put(p.service() + "@" + p.deviceId(), now + settings.avoidAfterFailure().toMillis());
        String why = "not reported running by " + p.deviceId() + " within " + settings.startTimeout().toMillis() + " ms";
        failed(p.service(), why, now);
        steps.add(new Step.StartFailed(p, why));
        if (alive) {
          steps.add(stop(p, Step.StopReason.START_TIMEOUT, now));
        }
      } else if (p.state() == Placement.State.RUNNING
          && alive
          && reportedWithout(p, settings.missingGrace().toMillis())) {
        // the device keeps reporting, without this instance; a device not heard from at all is
        // the failure detector's business (and may be the gateway's own silence)
        it.remove();
        version++;
        steps.add(new Step.Abandon(p, "device " + p.deviceId() + " no longer reports it"));
      } else if (p.state() == Placement.State.RUNNING && alive && moves.stream().noneMatch(m -> m.from().service().equals(p.service()))) {
        boolean misplaced = !spec.placement().admits(d.getLayer(), d.getLabels());
        String preferred = desired.preferred(p.service());
        Trouble t = troubles.get(p.service());
        boolean backingOff = t != null && now < t.retryAtMillis();
        if (!backingOff && (misplaced || (preferred != null && !preferred.equals(p.deviceId())))) {
          Device target = moveTarget(spec, desired, devices, now, preferred, misplaced);
          if (target != null) {
            long epoch = desired.nextEpoch(spec.name());
            Placement to = Placement.starting(spec.name(), target.getId(), epoch, now + settings.startTimeout().toMillis(),
                now, spec.version());
            moves.add(new Step.Migrate(spec, p, to, moveStrategy));
          }
        }
      }
    }
    for (Step.Migrate m : moves) {
      placements.put(m.to().key(), m.to());
      migrations.put(m.spec().name(), new Migration(m.from(), m.to()));
      version++;
      steps.add(m);
    }
  }

  /**
   * Where to move a running instance: the preferred device if eligible; otherwise, only when
   * the instance is misplaced (its device no longer admitted), the least-loaded eligible one.
   */
  private Device moveTarget(ServiceSpec spec, DesiredState desired, DeviceRegistry devices, long now, String preferred,
      boolean misplaced) {
    List<Device> eligible = eligible(spec, desired, devices, now);
    for (Device d : eligible) {
      if (d.getId().equals(preferred)) {
        return d;
      }
    }
    if (!misplaced || eligible.isEmpty()) {
      return null;
    }
    eligible.sort(leastLoaded());
    return eligible.get(0);
  }

  private List<Device> eligible(ServiceSpec spec, DesiredState desired, DeviceRegistry devices, long now) {
    List<Device> eligible = new ArrayList<>();
    for (Device d : devices.all()) {
      if (d.getState() == DeviceState.ALIVE
          && !d.isQuarantined()
          && !io.fogwise.protocol.Heartbeat.isSensor(d.getLabels())
          && spec.placement().admits(d.getLayer(), d.getLabels())
          && runsKind(devices, d, spec)
          && !desired.isExcluded(spec.name(), d.getId(), now)
          && !avoidUntil.containsKey(spec.name() + "@" + d.getId())
          && !hosts(spec.name(), d.getId())) {
        eligible.add(d);
      }
    }
    return eligible;
  }

  /**
   * Whether device {@code d} can run {@code spec}'s kind, as its heartbeats say; a device that
   * does not say (an older agent) is taken to run any. A kind of another device (a container image
   * only some agents were given) is thus placed only where it can start.
   */
  private static boolean runsKind(DeviceRegistry devices, Device d, ServiceSpec spec) {
    List<String> kinds = devices.kinds(d.getId());
    return kinds.isEmpty() || kinds.contains(spec.instanceKind());
  }

  /** Whether {@code p}'s device has kept reporting, without it, for more than {@code graceMillis}. */
  private boolean reportedWithout(Placement p, long graceMillis) {
    Long last = lastReport.get(p.deviceId());
    return last != null && last - p.lastSeenMillis() > graceMillis;
  }

  /**
   * When no device is eligible, the devices that would be but for a policy exclusion: a service
   * must not be left with nowhere to run because its only possible device was excluded once (it
   * came back, or it stalled and recovered). The exclusion of the least-loaded one is lifted, and
   * the step says so.
   */
  private List<Device> onlyExcluded(ServiceSpec spec, DesiredState desired, DeviceRegistry devices, long now,
      List<Step> steps) {
    List<Device> excluded = new ArrayList<>();
    for (Device d : devices.all()) {
      if (d.getState() == DeviceState.ALIVE
          && !d.isQuarantined()
          && !io.fogwise.protocol.Heartbeat.isSensor(d.getLabels())
          && spec.placement().admits(d.getLayer(), d.getLabels())
          && runsKind(devices, d, spec)
          && desired.isExcluded(spec.name(), d.getId(), now)
          && !avoidUntil.containsKey(spec.name() + "@" + d.getId())
          && !hosts(spec.name(), d.getId())) {
        excluded.add(d);
      }
    }
    if (excluded.isEmpty()) {
      return excluded;
    }
    excluded.sort(leastLoaded());
    Device d = excluded.get(0);
    desired.unexclude(spec.name(), d.getId());
    steps.add(new Step.LiftExclusion(spec.name(), d.getId(), "no other device can run " + spec.name() + " ("
        + (spec.placement().layer() == null ? "any layer" : spec.placement().layer()) + " "
        + spec.placement().labels() + "): its exclusion from " + d.getId() + " is lifted"));
    return new ArrayList<>(List.of(d));
  }

  /**
   * The gateway could not hear its devices for {@code millis} (its link was down, or it was
   * paused): starts waiting for confirmation get that much longer.
   */
  public void discount(long millis) {
    if (millis <= 0) {
      return;
    }
    placements.replaceAll((k, p) -> p.deadlineLater(millis));
  }

  private boolean hosts(String service, String deviceId) {
    for (Placement p : placements.values()) {
      if (p.service().equals(service) && p.deviceId().equals(deviceId)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Records a stop sent outside a reconcile pass (by a migration), so the instance is not also
   * fenced while its device still reports it.
   */
  public void stopping(String service, String deviceId, long epoch, long nowMillis) {
    stopsInFlight.put(key(service, deviceId, epoch), nowMillis + settings.stopRetry().toMillis());
  }

  /** The migration of {@code service} took over: the old placement is gone. */
  public Placement completeMigration(String service) {
    Migration m = migrations.remove(service);
    if (m == null) {
      return null;
    }
    placements.remove(m.from().key());
    version++;
    return m.from();
  }

  /**
   * The migration of {@code service} failed: the new placement is gone, the old one stays, and
   * the target is avoided for the service for a while (no retry storm).
   */
  public Placement abortMigration(String service, long nowMillis) {
    Migration m = migrations.remove(service);
    if (m == null) {
      return null;
    }
    placements.remove(m.to().key());
    avoidUntil.put(service + "@" + m.to().deviceId(), nowMillis + settings.avoidAfterFailure().toMillis());
    version++;
    return m.to();
  }

  /** As {@link #abortMigration(String, long)}, counting the failure toward the service's back-off. */
  public Placement abortMigration(String service, String reason, long nowMillis) {
    Placement to = abortMigration(service, nowMillis);
    if (to != null) {
      failed(service, "move to " + to.deviceId() + " failed: " + reason, nowMillis);
    }
    return to;
  }

  /** The migration in progress for {@code service}, or null. */
  public Migration migration(String service) {
    return migrations.get(service);
  }

  private void fence(DeviceRegistry devices, DesiredState desired, long now, List<Step> steps) {
    for (Device d : devices.all()) {
      steps.addAll(fence(d.getId(), devices, desired, now));
    }
  }

  /**
   * Stops what an alive device reports but nobody placed (a stale epoch from a returning
   * device, an instance of a deleted service). Called by every pass, and at once when a
   * heartbeat reports such an instance, so a stale primary lives no longer than a round trip.
   */
  public List<Step> fence(String deviceId, DeviceRegistry devices, DesiredState desired, long now) {
    Device d = devices.get(deviceId);
    if (d == null || d.getState() != DeviceState.ALIVE) {
      return List.of();
    }
    List<Step> steps = new ArrayList<>();
    for (InstanceReport r : devices.reportedInstances(deviceId)) {
      String key = key(r.service(), deviceId, r.epoch());
      desired.observeEpoch(r.service(), r.epoch());
      if (!placements.containsKey(key) && !stopsInFlight.containsKey(key)) {
        Placement ghost = Placement.restored(r.service(), deviceId, r.epoch(), now, "?");
        steps.add(stop(ghost, Step.StopReason.FENCED, now));
      }
    }
    return steps;
  }

  private void scale(ServiceSpec spec, DesiredState desired, DeviceRegistry devices, long now, List<Step> steps) {
    if (migrations.containsKey(spec.name())) {
      return;
    }
    List<Placement> current = new ArrayList<>();
    for (Placement p : placements.values()) {
      if (p.service().equals(spec.name())) {
        current.add(p);
      }
    }
    int missing = spec.replicas() - current.size();
    if (missing <= 0) {
      unplaceable.remove(spec.name());
    }
    if (missing > 0) {
      Trouble t = troubles.get(spec.name());
      if (t != null && now < t.retryAtMillis()) {
        return; // backing off: see failed()
      }
      List<Device> eligible = eligible(spec, desired, devices, now);
      if (eligible.isEmpty()) {
        eligible = onlyExcluded(spec, desired, devices, now, steps);
      }
      if (eligible.isEmpty()) {
        unplaceable.put(spec.name(), whyUnplaceable(spec, desired, devices, now));
      } else {
        unplaceable.remove(spec.name());
      }
      String preferred = desired.preferred(spec.name());
      for (int i = 0; i < missing && !eligible.isEmpty(); i++) {
        eligible.sort(Comparator.comparing((Device d) -> !d.getId().equals(preferred)).thenComparing(leastLoaded()));
        Device target = eligible.remove(0);
        long epoch = desired.nextEpoch(spec.name());
        Placement p = Placement.starting(spec.name(), target.getId(), epoch, now + settings.startTimeout().toMillis(), now,
            spec.version());
        placements.put(p.key(), p);
        version++;
        steps.add(new Step.Start(spec, target.getId(), epoch));
      }
    } else if (missing < 0) {
      current.sort(Comparator.comparing((Placement p) -> {
        Device d = devices.get(p.deviceId());
        return d != null && d.getState() == DeviceState.ALIVE;
      }).thenComparing(Placement::epoch, Comparator.reverseOrder()));
      for (int i = 0; i < -missing; i++) {
        Placement p = current.get(i);
        placements.remove(p.key());
        version++;
        Device d = devices.get(p.deviceId());
        if (d != null && d.getState() == DeviceState.ALIVE) {
          steps.add(stop(p, Step.StopReason.SCALE_DOWN, now));
        } else {
          steps.add(new Step.Abandon(p, "more instances than replicas"));
        }
      }
    }
  }

  private Comparator<Device> leastLoaded() {
    return Comparator.comparingInt((Device d) -> placementsOn(d.getId()))
        .thenComparingDouble(d -> d.getCpuLoad() == null ? 0.0 : d.getCpuLoad())
        .thenComparing(Device::getId);
  }

  private Step.Stop stop(Placement p, Step.StopReason reason, long now) {
    stopsInFlight.put(p.key(), now + settings.stopRetry().toMillis());
    return new Step.Stop(p.service(), p.deviceId(), p.epoch(), reason);
  }

  /**
   * Replaces an instance: its placement is dropped now and the next pass places the service
   * again (new epoch, the spec's current version). Returns the stop to send, or null if unknown.
   */
  public Step.Stop restart(String service, String deviceId, long epoch, long nowMillis) {
    Placement p = placements.get(key(service, deviceId, epoch));
    if (p == null || migrations.containsKey(service)) {
      return null;
    }
    placements.remove(p.key());
    version++;
    return stop(p, Step.StopReason.RESTART, nowMillis);
  }

  /** The device refused a start: forget the placement and avoid the device for a while. */
  public boolean startRefused(String service, String deviceId, long epoch, long nowMillis) {
    return startRefused(service, deviceId, epoch, "refused by " + deviceId, nowMillis);
  }

  /**
   * The device refused a start for {@code reason}: forget the placement, avoid the device for a
   * while, and count the failure toward the service's back-off.
   */
  public boolean startRefused(String service, String deviceId, long epoch, String reason, long nowMillis) {
    Placement p = placements.remove(key(service, deviceId, epoch));
    if (p == null) {
      return false;
    }
    version++;
    avoidUntil.put(service + "@" + deviceId, nowMillis + settings.avoidAfterFailure().toMillis());
    failed(service, reason, nowMillis);
    return true;
  }

  /** One line: why no device can take a replica of {@code spec} now. */
  private String whyUnplaceable(ServiceSpec spec, DesiredState desired, DeviceRegistry devices, long now) {
    String where = (spec.placement().layer() == null ? "any layer" : "layer " + spec.placement().layer())
        + (spec.placement().labels().isEmpty() ? "" : " with labels " + new java.util.TreeMap<>(spec.placement().labels()));
    int admitting = 0;
    int lost = 0;
    int excluded = 0;
    int avoided = 0;
    int hosting = 0;
    int quarantined = 0;
    int otherKinds = 0;
    for (Device d : devices.all()) {
      // a sensor hosts nothing: it does not count as a device of the placement
      if (!spec.placement().admits(d.getLayer(), d.getLabels()) || io.fogwise.protocol.Heartbeat.isSensor(d.getLabels())) {
        continue;
      }
      admitting++;
      if (d.getState() != DeviceState.ALIVE) {
        lost++;
      } else if (d.isQuarantined()) {
        quarantined++;
      } else if (!runsKind(devices, d, spec)) {
        otherKinds++;
      } else if (hosts(spec.name(), d.getId())) {
        hosting++;
      } else if (avoidUntil.containsKey(spec.name() + "@" + d.getId())) {
        avoided++;
      } else if (desired.isExcluded(spec.name(), d.getId(), now)) {
        excluded++;
      }
    }
    if (admitting == 0) {
      return "no device in " + where + " (" + devices.size() + (devices.size() == 1 ? " device" : " devices")
          + " known); start one there or change the placement";
    }
    List<String> parts = new ArrayList<>();
    if (lost > 0) {
      parts.add(lost + " not alive");
    }
    if (quarantined > 0) {
      parts.add(quarantined + " quarantined");
    }
    if (otherKinds > 0) {
      parts.add(otherKinds + " not running kind '" + spec.instanceKind() + "'");
    }
    if (hosting > 0) {
      parts.add(hosting + " already running it");
    }
    if (avoided > 0) {
      parts.add(avoided + " avoided after a failed start");
    }
    if (excluded > 0) {
      parts.add(excluded + " excluded by policy");
    }
    return "no eligible device in " + where + ": of " + admitting + " there, " + String.join(", ", parts);
  }

  /**
   * Records a failed start or move of {@code service}: after the first failure another device may
   * be tried at once (per-device avoidance still applies); after more the service waits
   * {@code BACKOFF_BASE_MS * 2^(n-2)}, at most {@link #BACKOFF_CAP_MS}.
   */
  public void failed(String service, String reason, long nowMillis) {
    Trouble before = troubles.get(service);
    int n = before == null ? 1 : before.failures() + 1;
    long pause = n < 2 ? 0 : Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS << Math.min(n - 2, 20));
    troubles.put(service, new Trouble(n, reason, nowMillis + pause));
  }

  /** Forgets the failures of {@code service} (an instance of it ran, or its spec changed). */
  public void succeeded(String service) {
    troubles.remove(service);
  }

  /** The failures in a row of {@code service}, or null if its last start or move worked. */
  public Trouble trouble(String service) {
    return troubles.get(service);
  }

  /** Why no device can take a missing replica of {@code service} now, or null. */
  public String unplaceable(String service) {
    return unplaceable.get(service);
  }

  /** Number of placements on a device. */
  public int placementsOn(String deviceId) {
    int n = 0;
    for (Placement p : placements.values()) {
      if (p.deviceId().equals(deviceId)) {
        n++;
      }
    }
    return n;
  }

  /** Current placements, in the order they were made. */
  public Collection<Placement> placements() {
    return List.copyOf(placements.values());
  }

  /** Restores a placement (e.g. from durable state) without a command. */
  public void adopt(Placement p) {
    placements.put(p.key(), p);
    version++;
  }

  /** Increases whenever the placement table changes; lets callers skip unchanged syncs. */
  public long version() {
    return version;
  }

  static String key(String service, String deviceId, long epoch) {
    return service + "@" + deviceId + "#" + epoch;
  }
}
