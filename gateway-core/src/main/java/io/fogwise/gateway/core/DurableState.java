package io.fogwise.gateway.core;

import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.gateway.core.store.DesiredSnapshot;
import io.fogwise.gateway.core.store.DesiredStore;
import io.fogwise.gateway.core.store.PolicyHistory;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.rules.model.Device;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the gateway keeps across restarts — specs, epochs, preferences, exclusions, placements
 * and their devices, the policy version run and those rejected per scope — saved as one snapshot only when something
 * changed, and written ahead of the commands of a decision.
 */
final class DurableState {
  private static final Logger LOG = LoggerFactory.getLogger(DurableState.class);
  /** A store that keeps failing is reported at most this often. */
  private static final long WARN_EVERY_NANOS = 10_000_000_000L;

  private final EngineState s;
  private final DesiredStore store;
  private final PolicyHistory policyHistory = new PolicyHistory();
  private long savedDesiredVersion = -1;
  private long savedPlacementVersion = -1;
  private long savedPolicyStateVersion;
  private long lastWarnNanos;

  DurableState(EngineState s, DesiredStore store) {
    this.s = s;
    this.store = store;
  }

  /** Saves the snapshot if desired state, placements or policy state changed since the last save. */
  void persist() {
    if (s.desired.version() == savedDesiredVersion && s.reconciler.version() == savedPlacementVersion
        && policyHistory.changes() == savedPolicyStateVersion) {
      return;
    }
    try {
      store.save(snapshot());
      savedDesiredVersion = s.desired.version();
      savedPlacementVersion = s.reconciler.version();
      savedPolicyStateVersion = policyHistory.changes();
    } catch (Exception e) {
      long now = System.nanoTime();
      if (now - lastWarnNanos > WARN_EVERY_NANOS) {
        lastWarnNanos = now;
        LOG.warn("could not save desired state (will retry every cycle): {}", e.toString());
      }
    }
  }

  DesiredSnapshot snapshot() {
    long now = s.clock.millis();
    long wall = s.clock.wallMillis();
    List<DesiredSnapshot.Exclusion> exclusions = new ArrayList<>();
    s.desired.exclusions().forEach((svc, m) -> m.forEach((dev, until) -> {
      if (until > now) {
        exclusions.add(new DesiredSnapshot.Exclusion(svc, dev, wall + (until - now)));
      }
    }));
    List<DesiredSnapshot.PlacementRecord> placed = new ArrayList<>();
    Map<String, DesiredSnapshot.DeviceRecord> hosts = new TreeMap<>();
    for (Placement p : s.reconciler.placements()) {
      placed.add(new DesiredSnapshot.PlacementRecord(p.service(), p.deviceId(), p.epoch(), p.version()));
      Device d = s.registry.get(p.deviceId());
      if (d != null) {
        hosts.put(d.getId(), new DesiredSnapshot.DeviceRecord(d.getId(), d.getLayer(), d.getDeviceClass(), d.getLabels()));
      }
    }
    return new DesiredSnapshot(DesiredSnapshot.FORMAT, wall, List.copyOf(s.desired.specs()), s.desired.epochs(),
        s.desired.preferences(), exclusions, placed, List.copyOf(hosts.values()), policyHistory.rejected(),
        policyHistory.applied());
  }

  /**
   * Resumes from a saved snapshot: services, epochs, preferences and exclusions come back, and
   * placements are adopted as running without any command, so healthy instances are not
   * restarted. A placement whose device does not report it is placed again after the usual
   * grace; a device that stays silent is suspected and failed over like any other.
   */
  void restore(DesiredSnapshot snap) {
    long now = s.clock.millis();
    long wall = s.clock.wallMillis();
    snap.services().forEach(s.desired::apply);
    snap.epochs().forEach(s.desired::observeEpoch);
    snap.preferred().forEach(s.desired::prefer);
    for (DesiredSnapshot.Exclusion x : snap.exclusions()) {
      if (x.untilWallMillis() > wall) {
        s.desired.exclude(x.service(), x.deviceId(), now + (x.untilWallMillis() - wall));
      }
    }
    for (DesiredSnapshot.DeviceRecord d : snap.devices()) {
      s.registry.expect(d.id(), d.layer(), d.deviceClass(), d.labels(), s.clock.nanos());
    }
    for (DesiredSnapshot.PlacementRecord p : snap.placements()) {
      if (s.desired.spec(p.service()) != null) {
        String version = p.version() != null ? p.version() : s.desired.spec(p.service()).version();
        s.reconciler.adopt(Placement.restored(p.service(), p.deviceId(), p.epoch(), now, version));
      }
    }
    policyHistory.restore(snap.policyVersions(), snap.rejectedPolicies());
    s.desired.specs().forEach(spec -> s.dirtyServices.add(spec.name()));
    savedDesiredVersion = s.desired.version();
    savedPlacementVersion = s.reconciler.version();
    LOG.info("resumed from saved state of {}: {} services, {} placements, {} exclusions", new Date(snap.savedAtMillis()),
        snap.services().size(), snap.placements().size(), snap.exclusions().size());
    s.emit(AdaptationEvent.Type.SERVICE_APPLIED, null, null, 0, null, "resumed " + snap.services().size()
        + " services and " + snap.placements().size() + " placements from durable state", Map.of());
  }

  /** Records a policy version as rejected: it is never applied again, also after a restart. */
  void markPolicyRejected(String scope, long version) {
    if (policyHistory.markRejected(scope, version)) {
      persist();
    }
  }

  boolean isPolicyRejected(String scope, long version) {
    return policyHistory.isRejected(scope, version);
  }

  /** Records that {@code scope} runs {@code version} now (0: none): nothing lower is applied again. */
  void markPolicyApplied(String scope, long version) {
    if (policyHistory.setApplied(scope, version)) {
      persist();
    }
  }

  /** The policy version run per scope. */
  Map<String, Long> appliedPolicies() {
    return policyHistory.applied();
  }

  long appliedPolicyVersion(String scope) {
    return policyHistory.applied(scope);
  }
}
