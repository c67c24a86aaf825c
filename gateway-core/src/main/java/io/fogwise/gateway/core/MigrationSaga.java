package io.fogwise.gateway.core;

import io.fogwise.gateway.core.orchestrator.InstanceIntent;
import io.fogwise.gateway.core.orchestrator.IntentFailedException;
import io.fogwise.gateway.core.orchestrator.Orchestrator;
import io.fogwise.gateway.core.reconcile.Placement;
import io.fogwise.gateway.core.reconcile.Step;
import io.fogwise.protocol.AdaptationEvent;
import io.fogwise.rules.model.Movement;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A planned move, make-before-break, in the way the reconciler chose by the orchestrator's
 * capabilities. With hand-over: start the new instance idle, hand the output and its numbering
 * over from the old one, activate the new one from that number, then stop the old one; a
 * failure before the hand-over leaves the old instance as it was, a failure to activate
 * resumes the old one where it stopped. Without hand-over: start the new instance, wait until
 * its device reports it running, then stop the old one; a start that fails or is not confirmed
 * in time leaves the old one running.
 */
final class MigrationSaga {
  private static final Logger LOG = LoggerFactory.getLogger(MigrationSaga.class);

  private final EngineState s;
  private final Intents intents;
  /** Moves without hand-over whose new instance is not yet reported running, by service. */
  private final Map<String, Pending> waiting = new HashMap<>();

  private record Pending(Step.Migrate step, long startedNanos) {}

  /** A move with hand-over whose idle instance is not yet both answered and reported. */
  private static final class Standby {
    final Step.Migrate step;
    final long startedNanos;
    boolean started;
    boolean reported;

    Standby(Step.Migrate step, long startedNanos) {
      this.step = step;
      this.startedNanos = startedNanos;
    }
  }

  /** Moves with hand-over waiting for their idle instance, by service. */
  private final Map<String, Standby> standby = new HashMap<>();

  private record Activation(long next, IntentFailedException failure) {}

  MigrationSaga(EngineState s, Intents intents) {
    this.s = s;
    this.intents = intents;
  }

  void begin(Step.Migrate m) {
    String svc = m.spec().name();
    Placement from = m.from();
    Placement to = m.to();
    long now = s.clock.millis();
    long startedNanos = s.clock.nanos();
    s.metrics.reconcileAction("migrate");
    // the decision is what damping holds on to, so a policy cannot move the service again meanwhile
    s.rules.event(new Movement(svc, from.deviceId(), to.deviceId(), Movement.Kind.MIGRATION, now), now);
    LOG.info("moving {} epoch {} on {} to epoch {} on {} ({})", svc, from.epoch(), from.deviceId(), to.epoch(),
        to.deviceId(), m.strategy());
    s.emit(AdaptationEvent.Type.MIGRATION_STARTED, to.deviceId(), svc, to.epoch(), null,
        "moving " + svc + " from " + from.deviceId() + " (epoch " + from.epoch() + ") to " + to.deviceId()
            + " (epoch " + to.epoch() + "), make-before-break",
        Map.of("from", from.deviceId(), "fromEpoch", Long.toString(from.epoch())));
    InstanceIntent intent = InstanceIntent.of(m.spec(), to.epoch(), to.deviceId());
    if (m.strategy() == Step.Strategy.RELOCATE) {
      // the orchestrator moves the instance itself (Swarm: constraint update, start-first); the
      // old instance goes with it, so nothing is left to stop
      intents.follow(to.deviceId(), intents.orchestrator().relocate(svc, from.epoch(), from.deviceId(), intent),
          ok -> complete(m, startedNanos, Map.of("relocated", "true"), "", false),
          failure -> abortRelocation(m, "the orchestrator did not relocate it: " + failure.getMessage()));
    } else if (m.strategy() == Step.Strategy.HANDOVER) {
      // the hand-over waits until the device reports the idle instance: an instance that boots
      // (a container's JVM) is not ready when its START is answered, and the gap is what the
      // subscribers see between the old instance's last message and the new one's first
      Standby w = new Standby(m, startedNanos);
      standby.put(svc, w);
      intents.start(intent, Orchestrator.StartMode.STANDBY, ok -> {
        if (standby.get(svc) == w) {
          w.started = true;
          handOverWhenReady(w);
        }
      }, failure -> {
        if (standby.remove(svc, w)) {
          abort(m, "the new instance did not start: " + failure.getMessage(), false);
        }
      });
    } else {
      waiting.put(svc, new Pending(m, startedNanos));
      intents.start(intent, Orchestrator.StartMode.ACTIVE, ok -> { }, failure -> {
        if (waiting.remove(svc) != null) {
          abort(m, "the new instance did not start: " + failure.getMessage(), false);
        }
      });
    }
  }

  /**
   * The hand-over gap is the subscribers' outage, so ACTIVATE leaves from the hand-over
   * reply's own thread, without waiting for the decision thread; the outcome is handled there.
   */
  private void handOver(Step.Migrate m, long startedNanos) {
    String svc = m.spec().name();
    Placement from = m.from();
    Placement to = m.to();
    long handoverNanos = s.clock.nanos();
    Orchestrator o = intents.orchestrator();
    o.handover(svc, from.epoch(), from.deviceId())
        .thenCompose(next -> o.activate(svc, to.epoch(), to.deviceId(), next)
            .handle((ok, err) -> new Activation(next, err == null ? null : IntentFailedException.of(err))))
        .whenComplete((activation, err) -> intents.onDecisionThread(() -> {
          if (err != null) {
            IntentFailedException f = IntentFailedException.of(err);
            intents.account(from.deviceId(), f);
            abort(m, "the old instance did not hand over: " + f.getMessage(), true);
            return;
          }
          intents.account(from.deviceId(), null);
          intents.account(to.deviceId(), activation.failure());
          if (activation.failure() != null) {
            intents.follow(from.deviceId(), o.activate(svc, from.epoch(), from.deviceId(), activation.next()),
                ok -> { }, f -> { });
            abort(m, "the new instance did not take over: " + activation.failure().getMessage()
                + "; the old one resumes", true);
            return;
          }
          long handoverMs = (s.clock.nanos() - handoverNanos) / 1_000_000L;
          s.metrics.moveGap(handoverMs);
          complete(m, startedNanos, Map.of("nextNumber", Long.toString(activation.next()),
              "handoverMs", Long.toString(handoverMs)), ", continuing at number " + activation.next());
        }));
  }

  private void handOverWhenReady(Standby w) {
    if (w.started && w.reported && standby.remove(w.step.spec().name(), w)) {
      handOver(w.step, w.startedNanos);
    }
  }

  /**
   * A placement was reported by its device: a move without hand-over whose new instance it is can
   * finish; a move with hand-over whose idle instance it is can hand over.
   */
  void confirmed(Placement p) {
    Standby idle = standby.get(p.service());
    if (idle != null && idle.step.to().key().equals(p.key())) {
      idle.reported = true;
      handOverWhenReady(idle);
    }
    Pending w = waiting.get(p.service());
    if (w != null && w.step().to().key().equals(p.key())) {
      waiting.remove(p.service());
      complete(w.step(), w.startedNanos(), Map.of(), "");
    }
  }

  /** Gives up on moves whose new instance was not reported (running, or idle for a hand-over) in time. */
  void expire(long nowMillis) {
    for (Iterator<Standby> it = standby.values().iterator(); it.hasNext(); ) {
      Standby w = it.next();
      if (nowMillis >= w.step.to().deadlineMillis()) {
        it.remove();
        abort(w.step, "the new instance was not reported ready in standby in time", true);
      }
    }
    for (Iterator<Pending> it = waiting.values().iterator(); it.hasNext(); ) {
      Pending w = it.next();
      if (nowMillis >= w.step().to().deadlineMillis()) {
        it.remove();
        abort(w.step(), "the new instance was not reported running in time", true);
      }
    }
  }

  private void complete(Step.Migrate m, long startedNanos, Map<String, String> extra, String continuing) {
    complete(m, startedNanos, extra, continuing, true);
  }

  private void complete(Step.Migrate m, long startedNanos, Map<String, String> extra, String continuing,
      boolean stopOld) {
    String svc = m.spec().name();
    Placement from = m.from();
    Placement to = m.to();
    long totalMs = (s.clock.nanos() - startedNanos) / 1_000_000L;
    s.reconciler.completeMigration(svc);
    s.metrics.migration(true, totalMs);
    LOG.info("moved {} to {} epoch {}{} in {} ms", svc, to.deviceId(), to.epoch(), continuing, totalMs);
    Map<String, String> details = new HashMap<>(extra);
    details.put("from", from.deviceId());
    details.put("totalMs", Long.toString(totalMs));
    s.emit(AdaptationEvent.Type.MIGRATION_COMPLETED, to.deviceId(), svc, to.epoch(), null,
        svc + " now runs on " + to.deviceId() + " epoch " + to.epoch() + continuing, Map.copyOf(details));
    s.reconciler.stopping(svc, from.deviceId(), from.epoch(), s.clock.millis());
    if (stopOld) {
      intents.stop(svc, from.epoch(), from.deviceId(),
          f -> LOG.debug("stop of the old instance of {} on {}: {}", svc, from.deviceId(), f.getMessage()));
    }
  }

  /** A relocation the orchestrator could not make: it put the old instance back; nothing new runs. */
  private void abortRelocation(Step.Migrate m, String why) {
    String svc = m.spec().name();
    s.reconciler.abortMigration(svc, why, s.clock.millis());
    s.metrics.migration(false, 0);
    LOG.warn("moving {} to {} failed: {}", svc, m.to().deviceId(), why);
    s.emit(AdaptationEvent.Type.MIGRATION_FAILED, m.to().deviceId(), svc, m.to().epoch(), null, why, Map.of());
    s.reconciler.stopping(svc, m.to().deviceId(), m.to().epoch(), s.clock.millis());
  }

  private void abort(Step.Migrate m, String why, boolean stopNew) {
    String svc = m.spec().name();
    s.reconciler.abortMigration(svc, why, s.clock.millis());
    s.metrics.migration(false, 0);
    LOG.warn("moving {} to {} failed: {}", svc, m.to().deviceId(), why);
    s.emit(AdaptationEvent.Type.MIGRATION_FAILED, m.to().deviceId(), svc, m.to().epoch(), null, why, Map.of());
    s.reconciler.stopping(svc, m.to().deviceId(), m.to().epoch(), s.clock.millis());
    intents.stop(svc, m.to().epoch(), m.to().deviceId(), f -> { });
  }
}
