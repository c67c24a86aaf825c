package io.fogwise.gateway.core;

import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.gateway.core.reconcile.Step;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.protocol.ServiceResponse;
import io.fogwise.protocol.ServiceSpec;
import io.fogwise.rules.Action;
import io.fogwise.rules.model.Device;
import io.fogwise.rules.model.Movement;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies what the rules decided to desired state and the registry: one method per action
 * type ({@link Action.Handler}), so a new action cannot go unhandled. Rules never start or stop
 * anything themselves; the reconciler does, from the state these methods change. Every action
 * is idempotent on that state, so a rule set swapped in that decides the same again changes
 * nothing.
 */
final class ActionApplier implements Action.Handler {
  private static final Logger LOG = LoggerFactory.getLogger(ActionApplier.class);
  /** A rule set swapped in re-evaluates everything: the same alert is not raised again for 10 minutes. */
  static final long ALERT_REPEAT_MS = 600_000;

  private final EngineState s;
  private final ServiceRequests requests;
  private final Intents intents;
  private final Map<String, Long> alertsSeen = new HashMap<>();
  private long actionsApplied;

  ActionApplier(EngineState s, ServiceRequests requests, Intents intents) {
    this.s = s;
    this.requests = requests;
    this.intents = intents;
  }

  void apply(Action a) {
    actionsApplied++;
    a.accept(this);
  }

  /** Rule actions applied since start (storm detection). */
  long actionsApplied() {
    return actionsApplied;
  }

  private long now() {
    return s.clock.millis();
  }

  @Override
  public void declareLost(Action.DeclareLost lost) {
    Device d = s.registry.get(lost.deviceId());
    if (d != null && s.registry.markLost(lost.deviceId())) {
      LOG.info("device {} lost: {} [rule '{}']", lost.deviceId(), lost.reason(), lost.rule());
      s.metrics.deviceLost(d.getSilenceMs());
      s.emit(AdaptationEvent.Type.DEVICE_LOST, lost.deviceId(), null, 0, lost.rule(), lost.reason(),
          Map.of("phi", Double.toString(d.getPhi()), "silenceMs", Long.toString(d.getSilenceMs())));
    }
  }

  @Override
  public void exclude(Action.Exclude ex) {
    long now = now();
    long until = now + (long) s.rules.parameters().number("failover.exclusionMs");
    if (s.desired.exclude(ex.service(), ex.deviceId(), until)) {
      s.dirtyServices.add(ex.service());
      LOG.info("service {} excluded from {}: {} [rule '{}']", ex.service(), ex.deviceId(), ex.reason(), ex.rule());
      s.failedOver.put(ex.service(), new EngineState.Failover(ex.deviceId(), now));
      s.emit(AdaptationEvent.Type.DEVICE_EXCLUDED, ex.deviceId(), ex.service(), 0, ex.rule(), ex.reason(), Map.of());
    }
  }

  @Override
  public void quarantine(Action.Quarantine q) {
    Device d = s.registry.get(q.deviceId());
    if (d != null && !d.isQuarantined()) {
      long now = now();
      s.registry.setQuarantined(q.deviceId(), true);
      s.quarantines.put(q.deviceId(), now + (long) s.rules.parameters().number("compliance.quarantineMs"));
      for (Placement pl : s.reconciler.placements()) {
        if (pl.deviceId().equals(q.deviceId())) {
          s.failedOver.put(pl.service(), new EngineState.Failover(q.deviceId(), now));
        }
      }
      LOG.info("device {} quarantined: {} [rule '{}']", q.deviceId(), q.reason(), q.rule());
      s.emit(AdaptationEvent.Type.DEVICE_QUARANTINED, q.deviceId(), null, 0, q.rule(), q.reason(), Map.of());
    }
  }

  @Override
  public void release(Action.Release r) {
    Device d = s.registry.get(r.deviceId());
    if (d != null && d.isQuarantined()) {
      s.registry.setQuarantined(r.deviceId(), false);
      s.quarantines.remove(r.deviceId());
      s.emit(AdaptationEvent.Type.DEVICE_RELEASED, r.deviceId(), null, 0, r.rule(), r.reason(), Map.of());
    }
  }

  @Override
  public void migrate(Action.Migrate mg) {
    ServiceResponse r = requests.move(mg.service(), mg.layer(), mg.deviceId(), false);
    String target = mg.layer() != null ? mg.layer().name() : mg.deviceId();
    if (!r.ok()) {
      s.emit(AdaptationEvent.Type.ALERT, mg.deviceId(), mg.service(), 0, mg.rule(),
          "could not move " + mg.service() + ": " + r.error(), Map.of());
    } else {
      long now = now();
      s.rules.event(new Movement(mg.service(), null, target, Movement.Kind.MIGRATION, now), now);
      LOG.info("service {} to move to {}: {} [rule '{}']", mg.service(), target, mg.reason(), mg.rule());
    }
  }

  @Override
  public void setReplicas(Action.SetReplicas sr) {
    ServiceSpec spec = s.desired.spec(sr.service());
    if (spec != null && spec.replicas() != sr.replicas()) {
      s.desired.apply(spec.withReplicas(sr.replicas()));
      s.dirtyServices.add(sr.service());
      LOG.info("service {} set to {} replicas: {} [rule '{}']", sr.service(), sr.replicas(), sr.reason(), sr.rule());
      s.emit(AdaptationEvent.Type.SERVICE_APPLIED, null, sr.service(), 0, sr.rule(),
          "replicas of " + sr.service() + " set to " + sr.replicas() + ": " + sr.reason(), Map.of());
    }
  }

  @Override
  public void restart(Action.Restart rs) {
    long now = now();
    Step.Stop stop = s.reconciler.restart(rs.service(), rs.deviceId(), rs.epoch(), now);
    if (stop != null) {
      s.failedOver.put(rs.service(), new EngineState.Failover(rs.deviceId(), now));
      LOG.info("replacing {} epoch {} on {}: {} [rule '{}']", rs.service(), rs.epoch(), rs.deviceId(), rs.reason(),
          rs.rule());
      s.emit(AdaptationEvent.Type.INSTANCE_STOPPED, rs.deviceId(), rs.service(), rs.epoch(), rs.rule(),
          "replacing " + rs.service() + " epoch " + rs.epoch() + " on " + rs.deviceId() + ": " + rs.reason(), Map.of());
      intents.stop(rs.service(), rs.epoch(), rs.deviceId(), f -> { });
    }
  }

  @Override
  public void setParameter(Action.SetParameter sp) {
    if (!sp.value().equals(s.rules.parameters().values().get(sp.key()))) {
      s.rules.putParameters(s.rules.parameters().with(sp.key(), sp.value()));
      LOG.info("parameter {} = {}: {} [rule '{}']", sp.key(), sp.value(), sp.reason(), sp.rule());
      s.emit(AdaptationEvent.Type.PARAMETER_SET, null, null, 0, sp.rule(),
          sp.key() + " = " + sp.value() + ": " + sp.reason(), Map.of("key", sp.key(), "value", sp.value()));
    }
  }

  @Override
  public void alert(Action.Alert alert) {
    long now = now();
    String key = alert.rule() + "|" + alert.reason();
    Long until = alertsSeen.get(key);
    if (until != null && until > now) {
      return;
    }
    alertsSeen.put(key, now + ALERT_REPEAT_MS);
    alertsSeen.values().removeIf(u -> u <= now);
    LOG.warn("alert: {} [rule '{}']", alert.reason(), alert.rule());
    s.emit(AdaptationEvent.Type.ALERT, null, null, 0, alert.rule(), alert.reason(), Map.of());
  }
}
